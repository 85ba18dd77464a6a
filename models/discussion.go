package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay"
)

// MaxCommentLength is the longest comment accepted, in characters.
const MaxCommentLength = 4000

// tooLong refuses a text of n characters where what ("A comment", "The note") may have at
// most max: both counts are said, so the person knows how much to cut.
func tooLong(what string, max, n int) string {
	return fmt.Sprintf("%s has at most %s characters; this one has %s.", what, outlay.Count(max), outlay.Count(n))
}

// documentVisible fails with ErrNotFound unless the viewer may see the document, as its
// kind's visibility says.
func documentVisible(tx *gorm.DB, v Viewer, docType string, docID int64) error {
	k, ok := FindDocumentKind(docType)
	if !ok {
		return outlay.NotFound("There is no such document.")
	}
	var n int64
	if err := tx.Table(k.Table).Scopes(k.visible(v)).Where(k.Table+".id = ?", docID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return outlay.NotFound("There is no such document.")
	}
	return nil
}

// plainText reports whether s can be stored as text: valid UTF-8 without NUL bytes, which
// Postgres refuses (a failed insert rather than a message beside the field).
func plainText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// CommentView is a comment with its author's name, as pages show it.
type CommentView struct {
	Comment
	AuthorName string
}

// AddComment appends a comment by the viewer to a document they may see, and tells the
// people taking part in it and those it mentions (see notifyComment). formKey is the key of
// the form it was typed in ("" for none): the same form posted again (a double click, a
// resent request) makes nothing and tells no one again, and returns the comment its first
// post made.
func AddComment(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID int64, body, formKey string) (*CommentView, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(body); {
	case !hasVisible(body):
		return nil, outlay.ValidationErrors{"body": "Write a comment first."}
	case n > MaxCommentLength:
		return nil, outlay.ValidationErrors{"body": tooLong("A comment", MaxCommentLength, n)}
	case !plainText(body):
		return nil, outlay.ValidationErrors{"body": "Use plain text."}
	}
	out := &CommentView{Comment: Comment{DocType: docType, DocID: docID, AuthorID: v.UserID, Body: body, FormKey: formKeyOf(formKey)}}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := documentVisible(tx, v, docType, docID); err != nil {
			return err
		}
		saved := false
		if key := out.FormKey; key != nil {
			var err error
			if saved, err = formAlreadySaved(tx, "comment", "author_id", v.UserID, *key, &out.Comment); err != nil {
				return err
			}
		}
		if !saved {
			if err := tx.Create(&out.Comment).Error; err != nil {
				return err
			}
			if err := notifyComment(tx, out.Comment); err != nil {
				return err
			}
		}
		return tx.Model(&User{}).Select("name").Where("id = ?", v.UserID).Scan(&out.AuthorName).Error
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Seen is a document that a read in this request found visible to its viewer, by the kind's
// visibility: the detail reads (GetRequisition, GetExpense, GetTravel, GetBillDetail,
// GetVisiblePurchaseOrder) and SeeDocument make one, and nothing outside this package can,
// so whoever holds one may read the document's discussion without asking again.
type Seen struct {
	docType string
	id      int64
}

// shown carries the proof that a detail read found its document visible; the details embed
// it, and GORM, which maps exported fields only, leaves it alone.
type shown struct{ seen Seen }

// Seen is the proof that the document was found visible; the zero Seen of a detail made
// without a visibility check proves nothing (DiscussionOf refuses it).
func (s shown) Seen() Seen { return s.seen }

// ID is the document's id.
func (s Seen) ID() int64 { return s.id }

// SeeDocument checks that the viewer may see the document, and returns the proof of it; one
// they may not see is not found.
func SeeDocument(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID int64) (Seen, error) {
	if err := documentVisible(db.WithContext(ctx), v, docType, docID); err != nil {
		return Seen{}, err
	}
	return Seen{docType, docID}, nil
}

// Discussion is what people have said on a document and the files they attached, oldest
// first.
type Discussion struct {
	Comments    []CommentView
	Attachments []AttachmentView
}

// DiscussionOf reads a seen document's comments and files in one statement.
func DiscussionOf(ctx context.Context, db *gorm.DB, doc Seen) (Discussion, error) {
	if doc.docType == "" {
		return Discussion{}, outlay.NotFound("There is no such document.")
	}
	var rows []struct {
		File        bool
		ID          int64
		DocType     string
		DocID       int64
		By          int64
		Text        string
		ContentType string
		SizeBytes   int64
		SHA256      string `gorm:"column:sha256"`
		StorageKey  string
		CreatedAt   time.Time
		Name        string
	}
	err := db.WithContext(ctx).Raw(`SELECT false AS file, c.id, c.doc_type, c.doc_id, c.author_id AS by, c.body AS text,
			'' AS content_type, 0::bigint AS size_bytes, '' AS sha256, '' AS storage_key, c.created_at, u.name
		FROM comments c JOIN users u ON u.id = c.author_id WHERE c.doc_type = @t AND c.doc_id = @id
		UNION ALL
		SELECT true, a.id, a.doc_type, a.doc_id, a.uploaded_by, a.filename, a.content_type, a.size_bytes, a.sha256, a.storage_key, a.created_at, u.name
		FROM attachments a JOIN users u ON u.id = a.uploaded_by WHERE a.doc_type = @t AND a.doc_id = @id AND a.deleted_at IS NULL
		ORDER BY file, id`, map[string]any{"t": doc.docType, "id": doc.id}).Scan(&rows).Error
	var out Discussion
	for _, r := range rows {
		if r.File {
			out.Attachments = append(out.Attachments, AttachmentView{UploaderName: r.Name, Attachment: Attachment{ID: r.ID, DocType: r.DocType, DocID: r.DocID,
				UploadedBy: r.By, Filename: r.Text, ContentType: r.ContentType, SizeBytes: r.SizeBytes, SHA256: r.SHA256, StorageKey: r.StorageKey, CreatedAt: r.CreatedAt}})
		} else {
			out.Comments = append(out.Comments, CommentView{AuthorName: r.Name, Comment: Comment{ID: r.ID, DocType: r.DocType, DocID: r.DocID,
				AuthorID: r.By, Body: r.Text, CreatedAt: r.CreatedAt}})
		}
	}
	return out, err
}

// NewAttachment describes a file already in the blob store, to be attached to a document.
type NewAttachment struct {
	Filename    string
	ContentType string
	SizeBytes   int64
	SHA256      string
	StorageKey  string
}

// AttachmentView is an attachment with its uploader's name, as pages show it.
type AttachmentView struct {
	Attachment
	UploaderName string
}

// AddAttachment records a stored file on a document the viewer may see.
func AddAttachment(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID int64, in NewAttachment) (*Attachment, error) {
	a := &Attachment{DocType: docType, DocID: docID, UploadedBy: v.UserID, Filename: in.Filename, ContentType: in.ContentType,
		SizeBytes: in.SizeBytes, SHA256: in.SHA256, StorageKey: in.StorageKey}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := documentVisible(tx, v, docType, docID); err != nil {
			return err
		}
		return tx.Create(a).Error
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// AttachmentForDownload is one file of a document, if the viewer may see the document; any
// other case (no such file, another document's file, a document out of sight) is the same
// ErrNotFound.
func AttachmentForDownload(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID, attachmentID int64) (*Attachment, error) {
	db = db.WithContext(ctx)
	if err := documentVisible(db, v, docType, docID); err != nil {
		return nil, err
	}
	var a Attachment
	err := db.Where("id = ? AND doc_type = ? AND doc_id = ? AND deleted_at IS NULL", attachmentID, docType, docID).First(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, outlay.NotFound("There is no such attachment.")
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}
