package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/models"
)

// "Email to vendor" pressed many times at once (a double click, resent requests) queues one
// mail, and every post is answered as the one that queued it. What counts as a repeat: the
// button sends back when the order was last emailed as its page showed it, and a post whose
// order was emailed since then repeats the post that emailed it; a post that does not say (not
// the page's button) repeats one within models.EmailRepeatWindow of the last emailing. Pressed
// again on the page shown afterwards, or after the window, the order is emailed again.
func TestPurchaseOrderEmailedAtOnceQueuesOneMail(t *testing.T) {
	t.Parallel()
	c, db, po, path := clerksOrder(t)
	if err := db.Exec(`UPDATE vendors SET email = 'orders@vendor.example' WHERE id = ?`, po.VendorID).Error; err != nil {
		t.Fatal(err)
	}
	mails := func() (n int) {
		db.Raw(`SELECT count(*) FROM mail_outbox WHERE kind = ?`, models.MailPurchaseOrder).Scan(&n)
		return n
	}
	// button is the email button's form as the order's page now shows it.
	button := func() url.Values {
		v, _ := c.Get(path).Doc.Find(`form[action="` + path + `/email"] input[name="emailed"]`).Attr("value")
		if v == "" {
			t.Fatal("the email button sends no emailed")
		}
		return url.Values{"emailed": {v}}
	}
	var last url.Values
	for _, step := range []struct {
		name string
		form func() url.Values // read as the step starts
		want int               // mails queued to the vendor since the start
	}{
		{"the page's button pressed five times at once", button, 1},
		{"posts that do not say which emailing they saw, at once and within the window", func() url.Values { return nil }, 1},
		{"the button of the page shown after the emailing, pressed five times", button, 2},
	} {
		form := step.form()
		last = form
		c.Header.Set("HX-Request", "true") // as the page's button posts
		answers := c.PostAtOnce(5, path+"/email", form)
		c.Header.Del("HX-Request")
		for i, res := range answers {
			if res.Status >= http.StatusBadRequest || res.Location() != path {
				t.Errorf("%s, post %d: %d to %q", step.name, i, res.Status, res.Location())
			}
		}
		if got := mails(); got != step.want {
			t.Fatalf("%s: %d mails queued in all; want %d", step.name, got, step.want)
		}
	}
	// A repeat is told what the post it repeats was told.
	c.Post(path+"/email", last)
	if flash := c.Get(path).Text(".flash"); !strings.Contains(flash, "is queued for orders@vendor.example") || mails() != 2 {
		t.Errorf("a repeat: flash %q, %d mails queued in all", flash, mails())
	}
	// Once the window has passed, a post that does not say is a new emailing.
	if err := db.Exec(`UPDATE purchase_orders SET emailed_at = emailed_at - ? * interval '1 second' WHERE id = ?`,
		models.EmailRepeatWindow.Seconds()+1, po.ID).Error; err != nil {
		t.Fatal(err)
	}
	c.Post(path+"/email", nil)
	if got := mails(); got != 3 {
		t.Errorf("a post after the window: %d mails queued in all; want 3", got)
	}
}
