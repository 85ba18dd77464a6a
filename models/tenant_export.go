package models

import (
	"context"

	"gorm.io/gorm"
)

// NotifyTenantExportKind is the notification that an archive of the whole tenant is ready.
const NotifyTenantExportKind = "notify_tenant_export"

// NotifyTenantExportReady tells person userID in the app that the archive of everything they
// asked for (export exportID) is ready to download from linkPath. It is about no document, so
// it bypasses the document notifier (whose recipients are checked against a document), and
// sends no mail: the link is on the export page, which only those who may export open.
func NotifyTenantExportReady(ctx context.Context, db *gorm.DB, userID, exportID int64, linkPath, summary string) error {
	return db.WithContext(ctx).Create(&Notification{RecipientID: userID, Kind: NotifyTenantExportKind, DocType: "tenant_export", DocID: exportID,
		Title: "Your export of everything is ready", Summary: summary, LinkPath: linkPath}).Error
}
