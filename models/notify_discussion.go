package models

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay/mail"
)

// Kinds of notification mail about a document's discussion.
const (
	MailComment = "notify_comment"
	MailMention = "notify_mention"
)

// commentAnchor is where a document's page shows its comments.
const commentAnchor = "#comments"

// routeParticipantsSQL lists, for the document @type @id, everyone its route named:
// approvers, whoever acted on a step, the holders of a role its open step waits for, and
// whoever stands in today for the approver of an open step; and whoever commented on it.
const routeParticipantsSQL = `SELECT approver_id FROM approval_steps WHERE doc_type = @type AND doc_id = @id AND approver_id IS NOT NULL
	UNION SELECT acted_by FROM approval_steps WHERE doc_type = @type AND doc_id = @id AND acted_by IS NOT NULL
	UNION SELECT ur.user_id FROM approval_steps s JOIN user_roles ur ON ur.role = s.role
		WHERE s.doc_type = @type AND s.doc_id = @id AND s.kind = @role AND s.status = @pending
	UNION SELECT dg.delegate_id FROM approval_steps s JOIN approval_delegations dg ON dg.user_id = s.approver_id
		WHERE s.doc_type = @type AND s.doc_id = @id AND s.status = @pending AND current_date BETWEEN dg.starts_on AND dg.ends_on
	UNION SELECT author_id FROM comments WHERE doc_type = @type AND doc_id = @id`

// routedParticipants names an approvable document for notifications and lists who takes part
// in it: the people the query own selects (its requester, say: it may use @id), everyone
// routeParticipantsSQL lists, and whoever commented on it. head selects its id, number,
// requester_id, total_minor and currency for the id in its one parameter.
func routedParticipants(tx *gorm.DB, docType string, id int64, head, own string) (ApprovalDocument, []int64, error) {
	var row struct {
		ID          int64
		Number      *string
		RequesterID int64
		TotalMinor  int64
		Currency    string
	}
	if err := tx.Raw(head, id).Scan(&row).Error; err != nil {
		return ApprovalDocument{}, nil, err
	}
	doc := ApprovalDocument{Type: docType, ID: row.ID, RequesterID: row.RequesterID}
	doc.Total.Minor, doc.Total.Currency = row.TotalMinor, row.Currency
	if row.Number != nil {
		doc.Number = *row.Number
	}
	var people []int64
	err := tx.Raw(own+" UNION "+routeParticipantsSQL,
		map[string]any{"id": id, "type": docType, "role": StepRole, "pending": StepPending}).Scan(&people).Error
	return doc, people, err
}

// requisitionParticipants: a requisition's requester, its route, the buyers of the orders
// made from it and its commenters (see routedParticipants).
func requisitionParticipants(tx *gorm.DB, id int64) (ApprovalDocument, []int64, error) {
	return routedParticipants(tx, DocRequisition, id,
		`SELECT id, number, requester_id, total_minor, currency FROM requisitions WHERE id = ?`,
		`SELECT requester_id FROM requisitions WHERE id = @id UNION SELECT created_by FROM purchase_orders WHERE requisition_id = @id`)
}

// TakingPart names the document id of the kind as notifications do and lists the people
// taking part in it: the kind's Participants, or for an approvable kind without, its
// requester (and the person in FilerColumn), its route and its commenters. A kind neither
// approvable nor with Participants has nobody taking part.
func (k *DocumentKind) TakingPart(tx *gorm.DB, id int64) (ApprovalDocument, []int64, error) {
	if k.Participants != nil {
		return k.Participants(tx, id)
	}
	q := k.Queue
	if k.Approval == nil || q.Requester == "" {
		return ApprovalDocument{}, nil, nil
	}
	from := " FROM " + k.Table + " d " + q.From + " WHERE d.id = "
	head := "SELECT d.id, NULLIF(" + q.Number + ", '') AS number, " + q.Requester + " AS requester_id, " +
		q.Total + " AS total_minor, " + q.Currency + " AS currency" + from + "?"
	own := "SELECT " + q.Requester + from + "@id"
	if k.FilerColumn != "" {
		own += " UNION SELECT d." + k.FilerColumn + from + "@id"
	}
	return routedParticipants(tx, k.Type, id, head, own)
}

// purchaseOrderParticipants names a purchase order for notifications (with the requester of
// the requisition it was made from) and lists who takes part in it: its buyer, that
// requester, and whoever commented on it.
func purchaseOrderParticipants(tx *gorm.DB, id int64) (ApprovalDocument, []int64, error) {
	var row struct {
		ID          int64
		Number      string
		RequesterID int64
		TotalMinor  int64
		Currency    string
	}
	if err := tx.Raw(`SELECT po.id, po.number, r.requester_id, po.total_minor, po.currency
		FROM purchase_orders po JOIN requisitions r ON r.id = po.requisition_id WHERE po.id = ?`, id).Scan(&row).Error; err != nil {
		return ApprovalDocument{}, nil, err
	}
	doc := ApprovalDocument{Type: DocPurchaseOrder, ID: row.ID, Number: row.Number, RequesterID: row.RequesterID}
	doc.Total.Minor, doc.Total.Currency = row.TotalMinor, row.Currency
	var people []int64
	err := tx.Raw(`SELECT created_by FROM purchase_orders WHERE id = @id
		UNION SELECT r.requester_id FROM purchase_orders po JOIN requisitions r ON r.id = po.requisition_id WHERE po.id = @id
		UNION SELECT author_id FROM comments WHERE doc_type = @type AND doc_id = @id`,
		map[string]any{"id": id, "type": DocPurchaseOrder}).Scan(&people).Error
	return doc, people, err
}

// notifyComment tells of comment c: everyone it mentions with @ (by name, by name without
// spaces, by the local part of their address, or by first name when nobody else has it) is
// told they were mentioned, and everyone else taking part in the document is told of the
// comment. Its author is told nothing, and nobody is told of a document they may not see.
func notifyComment(tx *gorm.DB, c Comment) error {
	n := notifierFrom(tx.Statement.Context)
	if n == nil {
		return nil
	}
	k, ok := FindDocumentKind(c.DocType)
	if !ok {
		return nil
	}
	doc, people, err := k.TakingPart(tx, c.DocID)
	if err != nil || doc.ID == 0 {
		return err
	}
	s, err := summarize(tx, doc)
	if err != nil {
		return err
	}
	if s.Number == "" {
		s.Number = fmt.Sprintf("draft #%d", doc.ID)
	}
	author, err := userName(tx, c.AuthorID)
	if err != nil {
		return err
	}
	var mentioned []recipient
	if strings.Contains(c.Body, "@") {
		everyone, err := activePeople(tx, `true`)
		if err != nil {
			return err
		}
		for _, r := range mentionedIn(c.Body, everyone) {
			if r.ID != c.AuthorID {
				mentioned = append(mentioned, r)
			}
		}
	}
	told := map[int64]bool{c.AuthorID: true}
	for _, r := range mentioned {
		told[r.ID] = true
	}
	var ids []int64
	for _, id := range people {
		if !told[id] {
			ids = append(ids, id)
		}
	}
	var others []recipient
	if len(ids) > 0 {
		if others, err = activePeople(tx, `u.id IN ?`, ids); err != nil {
			return err
		}
	}
	s.Path += commentAnchor
	// A requester commenting on their own document is not named twice.
	what := fmt.Sprintf("%s %s from %s for %s", s.Label, s.Number, s.Requester.Name, s.Total)
	whose := s.Requester.Name + "'s"
	if c.AuthorID == doc.RequesterID {
		what, whose = fmt.Sprintf("%s %s for %s", s.Label, s.Number, s.Total), "their"
	}
	excerpt := commentExcerpt(c.Body)
	write := func(mention bool) func(r recipient) notice {
		return func(r recipient) notice {
			title := fmt.Sprintf("%s commented on %s", author, what)
			subject := fmt.Sprintf("%s commented on %s %s", author, s.Label, s.Number)
			verb := "commented on"
			if mention {
				title = fmt.Sprintf("%s mentioned you on %s", author, what)
				subject = fmt.Sprintf("%s mentioned you on %s %s", author, s.Label, s.Number)
				verb = "mentioned you in a comment on"
			}
			return notice{Title: title, Summary: excerpt, Mail: mail.Message{
				To:      r.Email,
				Subject: subject,
				Body: fmt.Sprintf("Hello %s,\n\n%s %s %s %s %s for %s in %s:\n\n%s\n\nOpen it to reply: %s\n",
					r.Name, author, verb, whose, s.Label, s.Number, s.Total, n.OrgName, quote(c.Body), n.link(s.Path)),
			}}
		}
	}
	if err := n.queue(tx, MailMention, s, mentioned, write(true)); err != nil {
		return err
	}
	return n.queue(tx, MailComment, s, others, write(false))
}

// commentExcerpt is the start of a comment, for the notifications list.
func commentExcerpt(body string) string {
	const max = 280
	if utf8.RuneCountInString(body) <= max {
		return body
	}
	return string([]rune(body)[:max]) + "…"
}

// mentionedIn returns the people among candidates whom text mentions with @: "@Rita Requester"
// or "@RitaRequester" (their name), "@rita.r" (the part of their address before the @), or
// "@Rita" (their first name, when nobody else among candidates has it). Matching ignores case;
// an @ inside a word (an address written out) mentions nobody.
func mentionedIn(text string, candidates []recipient) []recipient {
	lower := strings.ToLower(text)
	firstNames := map[string]int{}
	for _, c := range candidates {
		if f, _, _ := strings.Cut(strings.TrimSpace(strings.ToLower(c.Name)), " "); f != "" {
			firstNames[f]++
		}
	}
	handles := make([][]string, len(candidates))
	for i, c := range candidates {
		name := strings.Join(strings.Fields(strings.ToLower(c.Name)), " ")
		local, _, _ := strings.Cut(strings.ToLower(c.Email), "@")
		hs := []string{name, strings.ReplaceAll(name, " ", ""), local}
		if f, _, _ := strings.Cut(name, " "); firstNames[f] == 1 {
			hs = append(hs, f)
		}
		for _, h := range hs {
			if h != "" {
				handles[i] = append(handles[i], h)
			}
		}
	}
	var out []recipient
	seen := map[int64]bool{}
	for i := 0; i < len(lower); i++ {
		if lower[i] != '@' {
			continue
		}
		if i > 0 {
			if r, _ := utf8.DecodeLastRuneInString(lower[:i]); wordRune(r) {
				continue
			}
		}
		rest := lower[i+1:]
		for j, c := range candidates {
			if seen[c.ID] {
				continue
			}
			for _, h := range handles[j] {
				if strings.HasPrefix(rest, h) && handleEnds(rest[len(h):]) {
					seen[c.ID] = true
					out = append(out, c)
					break
				}
			}
		}
	}
	return out
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// handleEnds reports whether a mention may end where rest starts: at the end, or before
// anything but a letter or digit (a full stop ends a sentence, not "rita.r").
func handleEnds(rest string) bool {
	r, size := utf8.DecodeRuneInString(rest)
	if rest == "" || !wordRune(r) && !strings.ContainsRune("._-+", r) {
		return true
	}
	if wordRune(r) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(rest[size:])
	return !wordRune(next)
}
