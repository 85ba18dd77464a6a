package models_test

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// told returns a context that records notifications, as a request through the web does.
func told(ctx context.Context) context.Context {
	return models.WithNotifier(ctx, &models.Notifier{OrgName: "Acme", BaseURL: "http://acme.localhost"})
}

// When the document a "waits for your approval" notification is about leaves approval
// without its approver, withdrawn by its requester or cancelled by its clerk, the
// notification stops counting as unread; following it says why the document no longer
// opens, by the name the notification gave it and nothing more. Nobody follows another
// person's notification.
func TestFollowingANotificationOfADocumentThatLeftApproval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// submit puts a document of the kind in approval for Max and returns its type, id
		// and name; end takes it out of approval.
		submit func(w *payWorld) (docType string, id int64, name string)
		end    func(w *payWorld, id int64) error
		ended  string
	}{
		{
			name: "a requisition withdrawn by its requester",
			submit: func(w *payWorld) (string, int64, string) {
				r := w.requisition(w.rita, &w.eng, "USD", reqLine{&w.software, 1000})
				dbtest.SubmitRequisition(w.t, w.db.WithContext(told(as(w.rita))), r)
				w.must(w.db.First(r, r.ID).Error)
				return models.DocRequisition, r.ID, *r.Number
			},
			end: func(w *payWorld, id int64) error {
				_, err := models.WithdrawRequisition(told(as(w.rita)), w.db, w.rita.ID, id)
				return err
			},
			ended: models.RouteWithdrawn,
		},
		{
			name: "a payment run cancelled by its clerk",
			submit: func(w *payWorld) (string, int64, string) {
				run, err := w.run(models.MethodACH, 10, map[*models.Bill]string{w.bill(w.acme, "USD", 500_00, 5): "500.00"})
				w.must(err)
				_, err = models.SubmitPaymentRun(told(as(w.clerk)), w.db, viewer(w.clerk), run.ID)
				w.must(err)
				return models.DocPayment, run.ID, run.Number
			},
			end: func(w *payWorld, id int64) error {
				return models.CancelPaymentRun(told(as(w.clerk)), w.db, viewer(w.clerk), id, false)
			},
			ended: models.RouteCancelled,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newPayWorld(t)
			ctx := context.Background()
			docType, id, name := tc.submit(w)
			var note models.Notification
			w.must(w.db.Where("recipient_id = ? AND doc_type = ? AND doc_id = ? AND kind = ?", w.max.ID, docType, id, models.MailStepWaiting).
				First(&note).Error)
			if n, err := models.UnreadNotifications(ctx, w.db, w.max.ID); err != nil || n != 1 {
				t.Fatalf("Max's unread before: %d %v, want 1", n, err)
			}

			w.must(tc.end(w, id))
			if n, err := models.UnreadNotifications(ctx, w.db, w.max.ID); err != nil || n != 0 {
				t.Errorf("Max's unread after: %d %v, want 0", n, err)
			}

			if f, err := models.FollowNotification(ctx, w.db, w.al.ID, note.ID); err != nil || f != nil {
				t.Errorf("Al follows Max's notification: %+v %v, want nothing", f, err)
			}
			f, err := models.FollowNotification(ctx, w.db, w.max.ID, note.ID)
			if err != nil || f == nil {
				t.Fatalf("Max follows his notification: %+v %v", f, err)
			}
			if f.Opens || f.Name != name || f.Ended != tc.ended {
				t.Errorf("following it: opens %v, name %q, ended %q; want closed, %q, %q", f.Opens, f.Name, f.Ended, name, tc.ended)
			}
		})
	}
}
