package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/models"
	"outlay/views"
	"outlay/views/expenses"
	"outlay/views/requisitions"
	"outlay/views/travel"
)

// A document a person drafts, saves, submits, withdraws or deletes (requisitions, travel
// requests, expense reports) goes through one flow here; each kind says only what differs:
// its pages, its words, and its model functions. Reading the form and showing a refused
// form stay with each kind, whose forms differ.

// draftHead is what the flow reads of a saved document: which one, its number once
// submitted, and its status.
type draftHead struct {
	ID     int64
	Number *string
	Status string
}

// draftFlow is one kind of drafted document, Doc its model's saved record.
type draftFlow[Doc any] struct {
	noun     string                                                      // "requisition", as in "here is the requisition it made"
	id       func(*fiber.Ctx) (int64, error)                             // reads the :id of the path
	path     func(int64) string                                          // a document's page
	listPath string                                                      // the person's own list
	head     func(*Doc) draftHead                                        // what the flow reads of a saved record
	done     string                                                      // the status of a submit that needed no approval
	approved string                                                      // its flash (%s: the number)
	again    error                                                       // the model's refusal of a form posted twice; nil if it cannot be
	withdraw func(context.Context, *gorm.DB, int64, int64) (*Doc, error) // (user, id)
	delete   func(context.Context, *gorm.DB, int64, int64) error         // (user, id)
}

var (
	requisitionFlow = draftFlow[models.Requisition]{noun: "requisition", id: requisitionID, path: requisitions.Path, listPath: requisitions.ListPath,
		head: func(r *models.Requisition) draftHead { return draftHead{r.ID, r.Number, r.Status} },
		done: models.RequisitionApproved, approved: "%s is approved: no approval was needed.", again: models.ErrFormAlreadySaved,
		withdraw: models.WithdrawRequisition, delete: models.DeleteRequisitionDraft}
	tripFlow = draftFlow[models.TravelRequest]{noun: "trip", id: tripID, path: travel.Path, listPath: travel.ListPath,
		head: func(t *models.TravelRequest) draftHead { return draftHead{t.ID, t.Number, t.Status} },
		done: models.TravelApproved, approved: "%s is approved: no approval was needed.", again: models.ErrTravelFormAlreadySaved,
		withdraw: models.WithdrawTravel, delete: models.DeleteTravelDraft}
	expenseFlow = draftFlow[models.ExpenseReport]{noun: "expense report", id: func(c *fiber.Ctx) (int64, error) { return pathID(c, "id") },
		path: expenses.Path, listPath: expenses.ListPath,
		head: func(r *models.ExpenseReport) draftHead { return draftHead{r.ID, r.Number, r.Status} },
		done: models.ExpenseApproved, approved: "%s is submitted and approved: nobody else needs to approve it.",
		again: models.ErrExpenseFormAlreadySaved, withdraw: models.WithdrawExpense, delete: models.DeleteExpenseDraft}
)

// draftSaved is the flash of every kind's saved draft, so that they all say it alike.
const draftSaved = "Draft saved."

// answerSave answers the save of a form, given what the model's save returned. The same form
// posted again (a double click) goes to what its first post made; a refusal is shown by
// refused, the form again with each message beside its field; otherwise a flash says what
// happened and the browser goes to the document.
func (k draftFlow[Doc]) answerSave(s *Server, c *fiber.Ctx, d *Doc, err error, submit bool, refused func(outlay.ValidationErrors) error) error {
	if k.again != nil && errors.Is(err, k.again) {
		s.setFlash(c, "info", "This form was already saved; here is the "+k.noun+" it made.")
		return redirect(c, k.path(k.head(d).ID))
	}
	if verr, ok := outlay.AsValidation(err); ok {
		return refused(verr)
	}
	if err != nil {
		return err
	}
	h := k.head(d)
	switch {
	case !submit:
		s.setFlash(c, "success", draftSaved)
	case h.Status == k.done:
		s.setFlash(c, "success", fmt.Sprintf(k.approved, strOr(h.Number)))
	default:
		s.setFlash(c, "success", fmt.Sprintf("%s is submitted for approval.", strOr(h.Number)))
	}
	return redirect(c, k.path(h.ID))
}

// withdrawDraft pulls the person's document the path names out of approval.
func (k draftFlow[Doc]) withdrawDraft(s *Server, c *fiber.Ctx) error {
	id, err := k.id(c)
	if err != nil {
		return err
	}
	d, err := k.withdraw(c.UserContext(), tenantDB(c), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	s.setFlash(c, "success", fmt.Sprintf("%s is withdrawn. Change it and submit it again when it is ready.", strOr(k.head(d).Number)))
	return redirect(c, k.path(id))
}

// deleteDraft deletes the person's draft the path names, never submitted.
func (k draftFlow[Doc]) deleteDraft(s *Server, c *fiber.Ctx) error {
	id, err := k.id(c)
	if err != nil {
		return err
	}
	if err := k.delete(c.UserContext(), tenantDB(c), currentUser(c).UserID, id); err != nil {
		return err
	}
	s.setFlash(c, "success", "The draft is deleted.")
	return redirect(c, k.listPath)
}

// startOver makes the form of a draft deleted since the form was read (models.DraftDeleted:
// in another tab, or by someone else) a new document's form with a form key of its own, and
// reports whether it did: the form comes back with what was typed, and saved again it makes
// one new draft of it. The caller then shows it without the deleted draft.
func startOver(err error, formKey *string) bool {
	if !models.DraftDeleted(err) {
		return false
	}
	*formKey = newFormKey()
	return true
}

// markRefused says above a refused form that fields below need correcting, unless the
// refusal already says something there.
func markRefused(errs views.FieldErrors, verr outlay.ValidationErrors) {
	if _, ok := verr[""]; !ok {
		errs[""] = views.FieldsMarked
	}
}
