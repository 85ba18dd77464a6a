// Package mail sends the product's email: through SMTP when a server is configured, otherwise
// into the log, so a development machine still shows every link a user would receive.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Message is one email: plain text, and, when HTML is set, an HTML version of the same text
// (sent together as multipart/alternative).
type Message struct {
	To      string
	Subject string
	Body    string
	HTML    string
	// Unsubscribe is the address that stops mail of this kind (List-Unsubscribe, one click
	// by POST as RFC 8058 describes); empty for mail that is not a notification.
	Unsubscribe string
}

// Mailer sends messages.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// New returns an SMTP mailer for smtpURL (smtp://user:pass@host:port, or smtps:// for
// implicit TLS), or a log mailer when smtpURL is empty.
func New(smtpURL, from string, logger *slog.Logger) (Mailer, error) {
	if smtpURL == "" {
		return &LogMailer{Logger: logger}, nil
	}
	u, err := url.Parse(smtpURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("OUTLAY_SMTP_URL must look like smtp://user:pass@host:port")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("OUTLAY_MAIL_FROM %q is not an email address", from)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[u.Scheme]
	}
	s := &SMTPMailer{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname(), from: addr, implicitTLS: u.Scheme == "smtps"}
	if u.User != nil {
		pass, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, u.Hostname())
	}
	return s, nil
}

// LogMailer writes messages to the log instead of sending them; with Out set, it prints each
// one's recipient, subject and links there instead (the demo's terminal).
type LogMailer struct {
	Logger *slog.Logger
	Out    io.Writer

	mu     sync.Mutex
	sent   []Message
	oldest int // where the oldest of sent is, once it is full
}

// Send logs m.
func (l *LogMailer) Send(_ context.Context, m Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Out != nil {
		var b strings.Builder
		fmt.Fprintf(&b, "\nMail (not sent: no OUTLAY_SMTP_URL)\n  To:      %s\n  Subject: %s\n", m.To, m.Subject)
		for _, link := range Links(m.Body) {
			fmt.Fprintf(&b, "  Link:    %s\n", link)
		}
		_, _ = io.WriteString(l.Out, b.String())
	} else {
		logger := l.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Info("mail (no OUTLAY_SMTP_URL set, so it is logged instead of sent)", "to", m.To, "subject", m.Subject, "body", m.Body)
	}
	// A server that runs for months without SMTP must not keep every mail: once full, the
	// newest takes the oldest's place.
	if len(l.sent) < logMailerKeeps {
		l.sent = append(l.sent, m)
	} else {
		l.sent[l.oldest] = m
		l.oldest = (l.oldest + 1) % logMailerKeeps
	}
	return nil
}

// logMailerKeeps is how many of the newest mails a LogMailer keeps for Sent.
const logMailerKeeps = 1000

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Links returns the web addresses in a mail's body, in order.
func Links(body string) []string { return linkPattern.FindAllString(body, -1) }

// Sent returns the messages logged so far (the newest logMailerKeeps), oldest first.
func (l *LogMailer) Sent() []Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append(append([]Message(nil), l.sent[l.oldest:]...), l.sent[:l.oldest]...)
}

// SMTPMailer sends through an SMTP server, upgrading to TLS with STARTTLS when offered.
type SMTPMailer struct {
	addr        string
	host        string
	from        *mail.Address
	auth        smtp.Auth
	implicitTLS bool
}

// Send delivers m.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("recipient %q: %w", m.To, err)
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	if s.implicitTLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: s.host}}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return fmt.Errorf("connect to SMTP server: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	} else {
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicitTLS {
		if err := c.StartTLS(&tls.Config{ServerName: s.host}); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("SMTP authentication: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to.Address); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(compose(s.from, to, m)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func compose(from, to *mail.Address, m Message) []byte {
	var b strings.Builder
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", time.Now().Format(time.RFC1123Z))
	header("MIME-Version", "1.0")
	if m.Unsubscribe != "" && !strings.ContainsAny(m.Unsubscribe, "\r\n<>") {
		header("List-Unsubscribe", "<"+m.Unsubscribe+">")
		header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	if m.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n")
		b.WriteString(crlf(m.Body))
		return []byte(b.String())
	}
	boundary := newBoundary()
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ contentType, text string }{{"text/plain", m.Body}, {"text/html", m.HTML}} {
		b.WriteString("--" + boundary + "\r\n")
		header("Content-Type", part.contentType+"; charset=utf-8")
		header("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n")
		b.WriteString(crlf(part.text))
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return []byte(b.String())
}

// crlf ends every line with CRLF, as SMTP wants.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// newBoundary is a random multipart boundary, which no text of a mail contains.
func newBoundary() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "outlay-" + hex.EncodeToString(b)
}
