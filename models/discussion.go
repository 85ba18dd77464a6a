package models

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay"
)

// MaxCommentLength is the longest comment accepted, in characters.
const MaxCommentLength = 4000

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

// DocumentVisible fails with ErrNotFound unless the viewer may see the document.
func DocumentVisible(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID int64) error {
	return documentVisible(db.WithContext(ctx), v, docType, docID)
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
// people taking part in it and those it mentions (see notifyComment).
func AddComment(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID int64, body string) (*CommentView, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch {
	case body == "":
		return nil, outlay.ValidationErrors{"body": "Write a comment first."}
	case utf8.RuneCountInString(body) > MaxCommentLength:
		return nil, outlay.ValidationErrors{"body": "Keep a comment under 4,000 characters."}
	case !plainText(body):
		return nil, outlay.ValidationErrors{"body": "Use plain text."}
	}
	out := &CommentView{Comment: Comment{DocType: docType, DocID: docID, AuthorID: v.UserID, Body: body}}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := documentVisible(tx, v, docType, docID); err != nil {
			return err
		}
		if err := tx.Create(&out.Comment).Error; err != nil {
			return err
		}
		if err := notifyComment(tx, out.Comment); err != nil {
			return err
		}
		return tx.Model(&User{}).Select("name").Where("id = ?", v.UserID).Scan(&out.AuthorName).Error
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Comments lists a document's comments, oldest first.
func Comments(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID int64) ([]CommentView, error) {
	db = db.WithContext(ctx)
	if err := documentVisible(db, v, docType, docID); err != nil {
		return nil, err
	}
	var out []CommentView
	err := db.Table("comments").Select("comments.*, users.name AS author_name").
		Joins("JOIN users ON users.id = comments.author_id").
		Where("comments.doc_type = ? AND comments.doc_id = ?", docType, docID).
		Order("comments.id").Scan(&out).Error
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

// Attachments lists a document's files, oldest first.
func Attachments(ctx context.Context, db *gorm.DB, v Viewer, docType string, docID int64) ([]AttachmentView, error) {
	db = db.WithContext(ctx)
	if err := documentVisible(db, v, docType, docID); err != nil {
		return nil, err
	}
	var out []AttachmentView
	err := db.Table("attachments").Select("attachments.*, users.name AS uploader_name").
		Joins("JOIN users ON users.id = attachments.uploaded_by").
		Where("attachments.doc_type = ? AND attachments.doc_id = ? AND attachments.deleted_at IS NULL", docType, docID).
		Order("attachments.id").Scan(&out).Error
	return out, err
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
