package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/storage"
	"outlay/views"
	"outlay/views/documents"
)

// docKind is a kind of document as the registry describes it: its type as stored, the path
// its pages live under, and the permission that lets a role read such documents.
type docKind = *models.DocumentKind

// registeredKind is the registry's descriptor of a kind the handlers serve.
func registeredKind(docType string) docKind {
	k, ok := models.FindDocumentKind(docType)
	if !ok {
		panic("handlers: no document kind " + docType)
	}
	return k
}

var (
	requisitionDocs   = registeredKind(outlay.DocRequisition)
	purchaseOrderDocs = registeredKind(outlay.DocPurchaseOrder)

	commentsCreate    = policy.Permission{Object: outlay.ObjComments, Action: outlay.ActCreate}
	attachmentsCreate = policy.Permission{Object: outlay.ObjAttachments, Action: outlay.ActCreate}
)

// readable fails with ErrNotFound unless the user's roles may read documents of kind k. The
// routes that write comments and attachments need the comments or attachments permission,
// which says nothing of the kind of document; a document its reader cannot open is not found.
func (s *Server) readable(c *fiber.Ctx, k docKind) error {
	if !s.can(c, k.Read) {
		return outlay.ErrNotFound
	}
	return nil
}

// pathID reads a positive id parameter; anything else names nothing, so it is not found.
func pathID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, outlay.ErrNotFound
	}
	return id, nil
}

// documentActivity builds a seen document's comments and attachments sections, from one
// read of both.
func (s *Server) documentActivity(c *fiber.Ctx, k docKind, doc models.Seen) (documents.Comments, documents.Attachments, error) {
	said, err := models.DiscussionOf(c.UserContext(), tenantDB(c), doc)
	if err != nil {
		return documents.Comments{}, documents.Attachments{}, err
	}
	csrf, id := s.csrfToken(c), doc.ID()
	comments := documents.Comments{CSRF: csrf, Action: k.Path(id) + "/comments", FormKey: newFormKey(), Errors: views.FieldErrors{}, CanPost: s.can(c, commentsCreate)}
	for _, cm := range said.Comments {
		comments.Comments = append(comments.Comments, documents.Comment{ID: cm.ID, Author: cm.AuthorName, Body: cm.Body, When: moment(cm.CreatedAt), At: cm.CreatedAt.UTC().Format(time.RFC3339)})
	}
	files := documents.Attachments{CSRF: csrf, Action: k.Path(id) + "/attachments", Errors: views.FieldErrors{}, CanUpload: s.can(c, attachmentsCreate),
		MaxSize: storage.FormatSize(s.cfg.MaxUploadBytes), Allowed: uploadAllowed, Accept: uploadAccept}
	for _, a := range said.Attachments {
		files.Files = append(files.Files, documents.Attachment{Filename: a.Filename, Href: k.Path(id) + "/attachments/" + strconv.FormatInt(a.ID, 10),
			Size: storage.FormatSize(a.SizeBytes), Kind: kindLabel(a.ContentType), Uploader: a.UploaderName, When: moment(a.CreatedAt)})
	}
	if r := stateOf(c).refusedPost; r != nil {
		// This request posted a comment or a file that was refused: its form comes back
		// with the reason beside it, and a comment with the text as it was typed and its
		// form's key, so that once corrected it is still the one comment.
		switch r.field {
		case commentField:
			comments.Body, comments.Errors = r.typed, r.errors
			if r.formKey != "" {
				comments.FormKey = r.formKey
			}
		case fileField:
			files.Errors = r.errors
		}
	}
	return comments, files, nil
}

// The fields of the comment and upload forms.
const (
	commentField = "body"
	fileField    = "file"
)

// refusedPost is a comment or a file the model refused, which the document's page shows
// again: field is the form's field, typed what was in it (a comment's text; nothing for a
// file, which a browser never fills in again), formKey the comment form's key, errors why.
type refusedPost struct {
	field, typed, formKey string
	errors                views.FieldErrors
}

// attachHint says what may be attached, for someone who may attach files; "" otherwise.
func (s *Server) attachHint(c *fiber.Ctx) string {
	if !s.can(c, attachmentsCreate) {
		return ""
	}
	return uploadAllowed + "; up to " + storage.FormatSize(s.cfg.MaxUploadBytes)
}

// uploadAllowed names the kinds of files an attachment may be.
const uploadAllowed = "PDF, images, text, CSV or Office files"

// uploadAccept steers the browser's file picker; the server decides from the bytes.
const uploadAccept = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.txt,.csv,.docx,.xlsx,.pptx,application/pdf,image/png,image/jpeg,image/gif,image/webp,text/plain,text/csv"

func kindLabel(contentType string) string {
	switch contentType {
	case storage.TypePDF:
		return "PDF"
	case storage.TypePNG, storage.TypeJPEG, storage.TypeGIF, storage.TypeWebP:
		return strings.ToUpper(strings.TrimPrefix(contentType, "image/")) + " image"
	case storage.TypeCSV:
		return "CSV"
	case storage.TypeText:
		return "Text"
	case storage.TypeDOCX:
		return "Word document"
	case storage.TypeXLSX:
		return "Excel workbook"
	case storage.TypePPTX:
		return "PowerPoint"
	}
	return "File"
}

func moment(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// postComment appends a comment to a document of kind k.
func (s *Server) postComment(k docKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if err := s.readable(c, k); err != nil {
			return err
		}
		var post struct {
			Body    string `form:"body"`
			FormKey string `form:"form_key"`
		}
		bindForm(c, &post)
		// The same form posted again answers as its first post did, with no second comment.
		posted, err := models.AddComment(c.UserContext(), tenantDB(c), s.viewer(c), k.Type, id, post.Body, post.FormKey)
		return s.answerDocumentPost(c, k, id, err, refusedPost{field: commentField, typed: post.Body, formKey: post.FormKey}, "Comment posted.", documents.CommentsID,
			func() (templ.Component, error) {
				doc, err := models.SeeDocument(c.UserContext(), tenantDB(c), s.viewer(c), k.Type, id)
				if err != nil {
					return nil, err
				}
				section, _, err := s.documentActivity(c, k, doc)
				if posted != nil {
					section.Posted = posted.ID
				}
				return documents.CommentsSection(section), err
			})
	}
}

// postAttachment stores an uploaded file and attaches it to a document of kind k. The
// document's visibility is checked before any byte is stored.
func (s *Server) postAttachment(k docKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if err := s.readable(c, k); err != nil {
			return err
		}
		doc, err := models.SeeDocument(ctx, db, v, k.Type, id)
		if err != nil {
			return err
		}
		err = s.receiveAttachment(c, k, id, v)
		return s.answerDocumentPost(c, k, id, err, refusedPost{field: fileField}, "File attached.", documents.AttachmentsID,
			func() (templ.Component, error) {
				_, section, err := s.documentActivity(c, k, doc)
				return documents.AttachmentsSection(section), err
			})
	}
}

// answerDocumentPost says how a comment or an upload to document id of kind k went; refused
// names the form's field and what was typed in it. htmx gets the form's section again, built
// by section: with the refusal beside the field and status 422, or with a toast saying done.
// A plain form post that succeeded gets a flash and goes back to the document, to the
// section (sectionID); one that was refused gets the document's page itself, with the
// refusal in its form (showRefusedPost).
func (s *Server) answerDocumentPost(c *fiber.Ctx, k docKind, id int64, err error, refused refusedPost, done, sectionID string, section func() (templ.Component, error)) error {
	if v, ok := outlay.AsValidation(err); ok {
		refused.errors = v
		stateOf(c).refusedPost = &refused
	} else if err != nil {
		return err
	}
	if !isHTMX(c) {
		if refused.errors != nil {
			return s.showRefusedPost(c, k, id, refused)
		}
		s.setFlash(c, "success", done)
		return redirect(c, k.Path(id)+"#"+sectionID)
	}
	comp, err := section()
	if err != nil {
		return err
	}
	if refused.errors != nil {
		c.Status(http.StatusUnprocessableEntity)
	} else {
		c.Set("HX-Trigger", toastTrigger("success", done))
	}
	return sendHTML(c, comp)
}

// showRefusedPost answers a plain form post whose comment or file was refused with the
// document's own page, as its route draws it, with status 422: documentActivity puts the
// refusal in the form. A redirect would need the comment kept until the next request, and
// no cookie holds one of MaxCommentLength characters (nor the longer one refused as too
// long). Someone whose roles do not open the page (it is not theirs to see) gets the reason
// as a flash and a redirect, as before.
func (s *Server) showRefusedPost(c *fiber.Ctx, k docKind, id int64, refused refusedPost) error {
	page, ok := s.documentPage(k)
	if !ok || !s.allowed(c, page) {
		s.setFlash(c, "error", refused.errors[refused.field])
		return redirect(c, k.Path(id))
	}
	if err := page.Handler(c); err != nil {
		return err
	}
	if c.Response().StatusCode() == http.StatusOK {
		c.Status(http.StatusUnprocessableEntity)
	}
	return nil
}

// documentPage is the route of the page of one document of kind k, whose path is the kind's
// and the document's id.
func (s *Server) documentPage(k docKind) (Route, bool) {
	for _, r := range s.routes {
		if r.Method == get && r.Path == k.Base+idParam {
			return r, true
		}
	}
	return Route{}, false
}

func (s *Server) receiveAttachment(c *fiber.Ctx, k docKind, id int64, v models.Viewer) error {
	// The file streams from the connection: Receive reads at most one byte past the cap.
	// The upload's own Content-Type header is ignored: the kind is sniffed from the bytes.
	f, err := s.uploadedFile(c, "file")
	if err != nil {
		return err
	}
	up, err := s.blobs.Receive(c.UserContext(), tenantOf(c).Slug, f, f.FileName(), s.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	_, err = models.AddAttachment(c.UserContext(), tenantDB(c), v, k.Type, id, models.NewAttachment{Filename: up.Filename,
		ContentType: up.ContentType, SizeBytes: up.Size, SHA256: up.SHA256, StorageKey: up.Key})
	return err
}

// downloadAttachment sends a document's file as a download, only to someone who may see the
// document; every other case is the same 404.
func (s *Server) downloadAttachment(k docKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		aid, err := pathID(c, "attachment")
		if err != nil {
			return err
		}
		a, err := models.AttachmentForDownload(c.UserContext(), tenantDB(c), s.viewer(c), k.Type, id, aid)
		if err != nil {
			return err
		}
		return s.sendAttachment(c, a, storage.ContentDisposition(storage.DownloadName(a.Filename, a.ContentType)))
	}
}

// sendAttachment sends an attachment's stored file with the given Content-Disposition, not
// cached and not sniffed; a file missing from storage is the same 404 as a document one may
// not see. Headers the caller set before (framing, CSP) are kept.
func (s *Server) sendAttachment(c *fiber.Ctx, a *models.Attachment, disposition string) error {
	r, err := s.blobs.Open(c.UserContext(), a.StorageKey)
	if errors.Is(err, storage.ErrNotFound) {
		return outlay.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderContentDisposition, disposition)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	// Fiber closes the reader once the body is sent.
	return c.SendStream(r, int(a.SizeBytes))
}
