package mail

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"outlay"
)

// Invitation is the email that asks a person to join an organisation: it carries the link
// with which they choose a password, and says how long it works.
func Invitation(to, name, orgName, inviter, link string, ttl time.Duration) Message {
	who := "You are invited"
	if inviter != "" {
		who = inviter + " has invited you"
	}
	return Message{
		To:      to,
		Subject: "You are invited to " + orgName + " on Outlay",
		Body: fmt.Sprintf("Hello %s,\n\n%s to %s on Outlay, its spend-management app. You sign in as %s.\n"+
			"Open this link within %s to choose your password:\n\n%s\n\n"+
			"The link works once. If you were not expecting this invitation, ignore this email.\n",
			name, who, orgName, to, outlay.Hours(ttl), link),
	}
}

// PasswordReset is the mail with a link to choose a new password.
func PasswordReset(to, name, orgName, link string, ttl time.Duration) Message {
	return Message{
		To:      to,
		Subject: "Reset your Outlay password for " + orgName,
		Body: fmt.Sprintf("Hello %s,\n\nSomeone (we hope you, or an admin of %s helping you) asked to reset your Outlay password for %s.\n"+
			"Open this link within %s to choose a new one:\n\n%s\n\n"+
			"The link works once. If you did not ask for it, ignore this email: your password stays as it is.\n",
			name, orgName, orgName, outlay.Hours(ttl), link),
	}
}

// SingleSignOn answers "Forgot password" for a person who has no password because they sign
// in with single sign-on: there is nothing to reset, so instead of a link it says how they
// sign in, through providers (the labels of the providers their account is linked to, which
// name the buttons of the sign-in page; none when not known), and links to that page.
func SingleSignOn(to, name, orgName string, providers []string, loginURL string) Message {
	through, choose := ".", "the single sign-on your organisation uses"
	if len(providers) > 0 {
		buttons := make([]string, len(providers))
		for i, p := range providers {
			buttons[i] = "“Sign in with " + p + "”"
		}
		through, choose = ", through "+outlay.List(providers, "or")+".", outlay.List(buttons, "or")
	}
	return Message{
		To:      to,
		Subject: "How you sign in to " + orgName + " on Outlay",
		Body: fmt.Sprintf("Hello %s,\n\nSomeone (we hope you) asked to reset your Outlay password for %s. There is no password to reset: you sign in with single sign-on%s\n"+
			"Open the sign-in page and choose %s:\n\n%s\n\n"+
			"If you cannot sign in that way, ask an admin of %s for help. If you did not ask to reset your password, ignore this email: nothing has changed.\n",
			name, orgName, through, choose, loginURL, orgName),
	}
}

// SSOLinked tells a person that an account at a sign-in provider (providerLabel, where it
// has the address providerEmail) was linked to their Outlay account, and now signs them in:
// if it was not them, whoever it was can sign in as them until an admin unlinks it.
func SSOLinked(to, name, orgName, providerLabel, providerEmail, securityURL string) Message {
	return Message{
		To:      to,
		Subject: providerLabel + " now signs you in to " + orgName + " on Outlay",
		Body: fmt.Sprintf("Hello %s,\n\nYour %s account %s was just linked to your Outlay account for %s, and signed in. "+
			"From now on it signs you in with the “Sign in with %s” button.\n\n"+
			"If this was you, there is nothing to do. If it was not, change your password at once (%s) "+
			"and ask an admin of %s to unlink that account: until then, whoever holds it can sign in as you.\n",
			name, providerLabel, providerEmail, orgName, providerLabel, securityURL, orgName),
	}
}

// Kinds of SecurityEvent: the changes to how a person signs in that they are told of by mail.
const (
	SecurityPasswordChanged = "password_changed" // by the person, on their Security page
	SecurityPasswordReset   = "password_reset"   // with a reset link
	SecurityTwoFactorReset  = "two_factor_reset" // by an admin or the operator
	SecuritySignInLocked    = "sign_in_locked"   // after too many wrong passwords
	SecurityTwoFactorOff    = "two_factor_off"   // by the person, on their Security page
	SecurityTokenCreated    = "token_created"    // an API token, by the person
)

// SecurityEvent is a change to how a person signs in, as SecurityNotice tells it: what (Kind),
// when (At, in the organisation's time zone), from which address and browser where known (IP,
// Browser: a user agent), and, for an admin's change, who made it (By). Until is when a
// locked sign-in opens again; Token names a new API token.
type SecurityEvent struct {
	Kind        string
	At          time.Time
	IP, Browser string
	By          string
	Until       time.Time
	Token       string
}

// SecurityNotice tells a person of a change to how they sign in, and what to do if it was not
// them: choose a new password with "Forgot password" on the sign-in page (forgotURL, a page
// that signs no one in) and tell an admin. It carries no secret and no link that signs in.
func SecurityNotice(to, name, orgName, forgotURL string, e SecurityEvent) Message {
	when := e.At.Format("Monday 2 January 2006 at 15:04") + " (" + e.At.Location().String() + ")"
	from := ""
	if e.IP != "" {
		from = ", from the address " + e.IP
	}
	if b := oneLine(e.Browser, 200); b != "" {
		from += ", with the browser “" + b + "”"
	}
	reset := "choose a new password with “Forgot password” on the sign-in page"
	var subject, what, advice string
	switch e.Kind {
	case SecurityPasswordChanged:
		subject = "Your Outlay password for " + orgName + " was changed"
		what = "Your Outlay password for " + orgName + " was changed on " + when + from + "."
		advice = "If this was you, there is nothing to do. If it was not, someone else knows your password: " + reset + " right away, and tell an admin of " + orgName + "."
	case SecurityPasswordReset:
		subject = "Your Outlay password for " + orgName + " was reset"
		what = "Your Outlay password for " + orgName + " was reset with a link sent to this address, on " + when + from + "."
		advice = "If this was you, there is nothing to do. If it was not, someone can read your email or had a link sent to it: " + reset + " right away, and tell an admin of " + orgName + "."
	case SecurityTwoFactorReset:
		by := "An admin of " + orgName
		if e.By != "" {
			by = e.By + ", an admin of " + orgName + ","
		}
		subject = "Your second factor for " + orgName + " on Outlay was reset"
		what = by + " reset your second factor (your authenticator app and recovery codes) on " + when + ". " +
			"You were signed out everywhere, and the next time you sign in you set up an authenticator again."
		advice = "If you asked for this, there is nothing else to do. If you did not, tell an admin of " + orgName + " at once, and " + reset + "."
	case SecurityTwoFactorOff:
		subject = "Two-factor sign-in to Outlay for " + orgName + " was turned off"
		what = "Two-factor sign-in was turned off for your Outlay account for " + orgName + " on " + when + from + ". " +
			"Signing in now asks only for your password."
		advice = "If this was you, there is nothing to do. If it was not, someone signed in as you and knows your password: " + reset +
			" right away, turn two-factor sign-in on again, and tell an admin of " + orgName + "."
	case SecurityTokenCreated:
		subject = "A new API token for your Outlay account for " + orgName
		what = "An API token named “" + oneLine(e.Token, 100) + "” was made for your Outlay account for " + orgName + " on " + when + from + ". " +
			"A program holding it can read and change what you can."
		advice = "If this was you, there is nothing to do. If it was not, someone signed in as you: revoke the token on your API tokens page, " + reset +
			" right away, and tell an admin of " + orgName + "."
	case SecuritySignInLocked:
		subject = "Sign-in to your Outlay account for " + orgName + " is paused"
		what = "Sign-in to your Outlay account for " + orgName + " was paused on " + when + " after several wrong passwords in a row" + lastFrom(from) + ". " +
			"It opens again at " + e.Until.Format("15:04") + "."
		advice = "If this was you, try again then, or choose a new password with “Forgot password” on the sign-in page. " +
			"If it was not, someone may be trying to guess your password: choose a new one the same way if yours could be guessed, and tell an admin of " + orgName + "."
	}
	return Message{
		To:      to,
		Subject: subject,
		Body:    fmt.Sprintf("Hello %s,\n\n%s\n\n%s\n\n“Forgot password”: %s\n", name, what, advice, forgotURL),
	}
}

// lastFrom says where the last of several attempts came from ("" when not known).
func lastFrom(from string) string {
	if from == "" {
		return ""
	}
	return "; the last came" + strings.TrimPrefix(from, ",")
}

// oneLine is text on one line, without control characters, cut to at most max characters:
// how a browser's user agent, which anyone can set, is quoted in a mail.
func oneLine(text string, max int) string {
	text = strings.Join(strings.FieldsFunc(text, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }), " ")
	if r := []rune(text); len(r) > max {
		text = string(r[:max]) + "…"
	}
	return text
}
