package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/models"
	"outlay/storage"
)

// seedDemoExpenses gives a demo tenant its expense policy (categories booked to GL accounts
// and counted against a trip's estimate, mileage rates, per diem rates) and the requester's
// expense reports in every state: a draft, one waiting for the approver, one returned with a
// comment, one withdrawn by its owner, one approved, one scheduled for reimbursement in a batch and one in a batch the AP
// clerk marked paid, with receipts that are small real photos and scans attached to their
// lines. A trip leaving tomorrow is approved
// and its report started from it (its per diem days filled in), so that actual against
// estimate shows. Everything goes through the functions the pages call.
func seedDemoExpenses(ctx context.Context, db *gorm.DB, blobs *storage.Store, slug string) error {
	user := func(local string) (models.Viewer, error) {
		u, err := models.FindUserByEmail(ctx, db, demoEmail(local, slug))
		if err != nil {
			return models.Viewer{}, fmt.Errorf("demo person %s: %w", local, err)
		}
		return models.Viewer{UserID: u.ID, Roles: []string{local}}, nil
	}
	riley, err := user("requester")
	if err != nil {
		return err
	}
	avery, err := user("approver")
	if err != nil {
		return err
	}
	casey, err := user("ap")
	if err != nil {
		return err
	}
	casey.Roles = []string{"ap_clerk"}
	settings, err := models.Settings(ctx, db)
	if err != nil {
		return err
	}
	cur := settings.DefaultCurrency
	cats, err := seedDemoExpensePolicy(ctx, db, cur)
	if err != nil {
		return err
	}
	var dept int64
	if err := db.WithContext(ctx).Model(&models.Department{}).Where("name = ?", "Engineering").Select("id").Scan(&dept).Error; err != nil || dept == 0 {
		return fmt.Errorf("demo expenses: no Engineering department (%v)", err)
	}
	var rates []models.PerDiemRate
	if err := db.WithContext(ctx).Find(&rates).Error; err != nil {
		return err
	}
	rate := func(place string) string {
		for _, r := range rates {
			if r.Destination == place {
				return fmt.Sprint(r.ID)
			}
		}
		return ""
	}
	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
	expense := func(date, cat, merchant, amount string) models.ExpenseLineInput {
		return models.ExpenseLineInput{Kind: models.LineExpense, Date: date, Category: cats[cat], Merchant: merchant, Amount: amount}
	}
	report := func(title, purpose string, from, to int, lines ...models.ExpenseLineInput) models.ExpenseInput {
		return models.ExpenseInput{Title: title, Purpose: purpose, Department: fmt.Sprint(dept), PeriodFrom: day(from), PeriodTo: day(to),
			Currency: cur, Lines: lines}
	}
	// file saves a report as a draft and attaches a receipt to each of its expense lines.
	file := func(in models.ExpenseInput) (*models.ExpenseReport, error) {
		r, err := models.SaveExpense(ctx, db, riley.UserID, 0, in, false)
		if err != nil {
			return nil, fmt.Errorf("demo report %q: %w", in.Title, err)
		}
		for i, l := range r.Lines {
			if l.Kind != models.LineExpense {
				continue
			}
			if err := attachDemoReceipt(ctx, db, blobs, slug, riley, r.ID, l, i); err != nil {
				return nil, fmt.Errorf("demo receipt of %q: %w", in.Title, err)
			}
		}
		return r, nil
	}
	submit := func(in models.ExpenseInput) (*models.ExpenseReport, error) {
		r, err := file(in)
		if err != nil {
			return nil, err
		}
		if r, err = models.SubmitExpense(ctx, db, riley.UserID, r.ID); err != nil {
			return nil, fmt.Errorf("demo submission of %q: %w", in.Title, err)
		}
		return r, nil
	}
	decide := func(r *models.ExpenseReport, d models.Decision) error {
		return decideDemoStep(ctx, db, avery, models.DocExpense, r.ID, d)
	}
	approved := func(in models.ExpenseInput) (*models.ExpenseReport, error) {
		r, err := submit(in)
		if err != nil {
			return nil, err
		}
		return r, decide(r, models.Decision{Approve: true})
	}

	if _, err := file(report("Client lunch downtown", "Lunch with the Initech buyers about the renewal.", -3, -2,
		expense(day(-3), "Meals", "Blue Plate Diner", "48.60"),
		expense(day(-3), "Ground transport", "Yellow Cab", "18.20"))); err != nil {
		return err
	}
	if _, err := submit(report("Customer workshop in Chicago", "Two-day onboarding workshop at the customer's office.", -20, -17,
		expense(day(-20), "Airfare", "United Airlines", "412.30"),
		expense(day(-20), "Hotel", "The Palmer House", "194.50"),
		expense(day(-19), "Hotel", "The Palmer House", "194.50"),
		models.ExpenseLineInput{Kind: models.LinePerDiem, Date: day(-20), Category: cats["Per diem"], Days: "3", Destination: rate("Chicago")},
		models.ExpenseLineInput{Kind: models.LineMileage, Date: day(-20), Category: cats["Mileage"], From: "Home", To: "SFO", Distance: "32", Unit: models.UnitKm})); err != nil {
		return err
	}
	returned, err := submit(report("Team dinner after the release", "Thanking the release team.", -12, -12,
		func() models.ExpenseLineInput {
			l := expense(day(-12), "Meals", "Zuni Café", "212.40")
			l.Justification = "Dinner for the whole release team of four"
			return l
		}()))
	if err != nil {
		return err
	}
	if err := decide(returned, models.Decision{Comment: "Team dinners go on the team budget: split out your own share and resubmit."}); err != nil {
		return err
	}
	withdrawn, err := submit(report("Train to the Sacramento office", "Quarterly planning at the Sacramento office.", -8, -8,
		expense(day(-8), "Ground transport", "Amtrak", "58.00")))
	if err != nil {
		return err
	}
	if _, err := models.WithdrawExpense(ctx, db, riley.UserID, withdrawn.ID); err != nil {
		return fmt.Errorf("demo withdrawal: %w", err)
	}
	if _, err := approved(report("Recruiting fair in Austin", "Staffing the booth at the recruiting fair.", -45, -44,
		expense(day(-45), "Hotel", "Hotel San José", "214.00"),
		expense(day(-44), "Ground transport", "Lyft", "26.75"))); err != nil {
		return err
	}
	scheduled, err := approved(report("Office supplies for the new hires", "Notebooks and cables for three new engineers.", -30, -30,
		expense(day(-30), "Office supplies", "Staples", "86.40")))
	if err != nil {
		return err
	}
	if err := demoReimbursed(ctx, db, casey, scheduled, false, ""); err != nil {
		return err
	}
	paid, err := approved(report("Security conference in Denver", "Talks on supply-chain security.", -70, -68,
		expense(day(-70), "Airfare", "Southwest", "268.90"),
		expense(day(-69), "Hotel", "The Crawford Hotel", "245.00"),
		models.ExpenseLineInput{Kind: models.LinePerDiem, Date: day(-70), Category: cats["Per diem"], Days: "3", Destination: rate("Denver")}))
	if err != nil {
		return err
	}
	if err := demoReimbursed(ctx, db, casey, paid, true, "BT-2026-0917"); err != nil {
		return err
	}
	return seedDemoTripReport(ctx, db, blobs, slug, riley, avery, cats, dept)
}

// seedDemoTripReport approves a trip to Portland leaving tomorrow and starts its report from
// it, with its per diem days, then adds the flight with its receipt: the report shows what
// was spent against the trip's estimate. The flight was bought before the trip, so the
// report's period starts on that day: a line is dated within its report's period.
func seedDemoTripReport(ctx context.Context, db *gorm.DB, blobs *storage.Store, slug string, riley, avery models.Viewer,
	cats map[string]string, dept int64) error {
	var gl int64
	if err := db.WithContext(ctx).Model(&models.GLAccount{}).Where("code = ?", "6300").Select("id").Scan(&gl).Error; err != nil {
		return err
	}
	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
	trip, err := models.SaveTravel(ctx, db, models.TravelFiler{UserID: riley.UserID}, 0, models.TravelInput{
		Department: fmt.Sprint(dept), GLAccount: fmt.Sprint(gl), Purpose: "Team offsite in Portland.",
		Legs:      []models.LegInput{{From: "San Francisco", To: "Portland", DepartOn: day(1), ReturnOn: day(3), Mode: models.ModeAir}},
		Estimates: map[string]string{models.CostAirfare: "320", models.CostLodging: "450", models.CostGround: "60", models.CostMeals: "180"},
	}, true)
	if err != nil {
		return fmt.Errorf("demo trip to Portland: %w", err)
	}
	if err := decideDemoStep(ctx, db, avery, models.DocTravel, trip.ID, models.Decision{Approve: true}); err != nil {
		return err
	}
	r, err := models.StartExpenseFromTrip(ctx, db, riley.UserID, trip.ID)
	if err != nil {
		return fmt.Errorf("demo report of the Portland trip: %w", err)
	}
	d, err := models.GetExpense(ctx, db, riley, r.ID)
	if err != nil {
		return err
	}
	in := models.ExpenseInput{Title: d.Title, Purpose: d.Purpose, Department: fmt.Sprint(dept), PeriodFrom: day(-6), PeriodTo: day(3),
		Currency: d.Currency}
	for _, l := range d.Lines {
		in.Lines = append(in.Lines, models.ExpenseLineInput{Kind: l.Kind, Date: l.SpentOn.Format(time.DateOnly), Category: fmt.Sprint(l.CategoryID),
			Days: fmt.Sprint(*l.Days), Destination: fmt.Sprint(*l.PerDiemRateID)})
	}
	in.Lines = append(in.Lines, models.ExpenseLineInput{Kind: models.LineExpense, Date: day(-6), Category: cats["Airfare"],
		Merchant: "Alaska Airlines", Amount: "348.20"})
	if r, err = models.SaveExpense(ctx, db, riley.UserID, r.ID, in, false); err != nil {
		return fmt.Errorf("demo flight to Portland: %w", err)
	}
	last := len(r.Lines) - 1
	return attachDemoReceipt(ctx, db, blobs, slug, riley, r.ID, r.Lines[last], last)
}

// seedDemoExpensePolicy sets up the expense categories, mileage and per diem rates, once; it
// returns the categories' ids by name.
func seedDemoExpensePolicy(ctx context.Context, db *gorm.DB, cur string) (map[string]string, error) {
	gl := map[string]int64{}
	var accounts []models.GLAccount
	if err := db.WithContext(ctx).Find(&accounts).Error; err != nil {
		return nil, err
	}
	for _, a := range accounts {
		gl[a.Code] = a.ID
	}
	ids := map[string]string{}
	var existing []models.ExpenseCategory
	if err := db.WithContext(ctx).Find(&existing).Error; err != nil {
		return nil, err
	}
	for _, c := range existing {
		ids[c.Name] = fmt.Sprint(c.ID)
	}
	for _, c := range []models.ExpenseCategoryInput{
		{Name: "Airfare", GLAccountID: gl["6300"], TripCost: models.CostAirfare},
		{Name: "Hotel", GLAccountID: gl["6300"], Limit: "250", LimitPer: models.LimitPerDay, TripCost: models.CostLodging},
		{Name: "Ground transport", GLAccountID: gl["6300"], TripCost: models.CostGround},
		{Name: "Mileage", GLAccountID: gl["6300"], TripCost: models.CostGround},
		{Name: "Meals", GLAccountID: gl["6300"], Limit: "75", LimitPer: models.LimitPerDay, TripCost: models.CostMeals},
		{Name: "Per diem", GLAccountID: gl["6300"], TripCost: models.CostMeals},
		{Name: "Office supplies", GLAccountID: gl["6200"], Limit: "150", LimitPer: models.LimitPerLine, TripCost: models.CostOther},
	} {
		if ids[c.Name] != "" {
			continue
		}
		c.Currency = cur
		id, err := models.SaveExpenseCategory(ctx, db, 0, c)
		if err != nil {
			return nil, fmt.Errorf("demo expense category %s: %w", c.Name, err)
		}
		ids[c.Name] = fmt.Sprint(id)
	}
	var n int64
	if err := db.WithContext(ctx).Model(&models.MileageRate{}).Count(&n).Error; err != nil || n > 0 {
		return ids, err
	}
	for _, r := range []models.MileageRateInput{
		{Unit: models.UnitKm, EffectiveFrom: "2020-01-01", Rate: "0.36"},
		{Unit: models.UnitKm, EffectiveFrom: "2025-01-01", Rate: "0.42"},
		{Unit: models.UnitMile, EffectiveFrom: "2025-01-01", Rate: "0.70"},
	} {
		r.Currency = cur
		if _, err := models.SaveMileageRate(ctx, db, 0, r); err != nil {
			return nil, fmt.Errorf("demo mileage rate: %w", err)
		}
	}
	for _, r := range []models.PerDiemRateInput{
		{Destination: "Chicago", Daily: "79"}, {Destination: "Seattle", Daily: "79"}, {Destination: "Portland", Daily: "74"},
		{Destination: "Denver", Daily: "74"}, {Destination: "Austin", Daily: "69"}, {Destination: "London", Daily: "95"},
		{Destination: "Berlin", Daily: "84"}, {Destination: "Munich", Daily: "84"},
	} {
		r.Currency = cur
		if _, err := models.SavePerDiemRate(ctx, db, 0, r); err != nil {
			return nil, fmt.Errorf("demo per diem rate %s: %w", r.Destination, err)
		}
	}
	return ids, nil
}

// demoReimbursed puts approved report r in a reimbursement batch of its own, made by the AP
// clerk, and with paid marks the batch paid, through the functions the reimbursement pages
// call.
func demoReimbursed(ctx context.Context, db *gorm.DB, clerk models.Viewer, r *models.ExpenseReport, paid bool, ref string) error {
	b, err := models.CreateReimbursementBatch(ctx, db, clerk.UserID, []int64{r.ID})
	if err != nil {
		return fmt.Errorf("demo reimbursement of report %d: %w", r.ID, err)
	}
	if !paid {
		return nil
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	_, err = models.MarkBatchPaid(ctx, db, clerk.UserID, b.ID, models.BatchPaymentInput{PaidOn: today.Format(time.DateOnly),
		Method: outlay.ReimburseByBankTransfer, Reference: ref}, today)
	if err != nil {
		return fmt.Errorf("demo payment of %s: %w", b.Number, err)
	}
	return nil
}

// attachDemoReceipt stores a small receipt picture (a JPEG photo or a PNG scan, alternately)
// for line l, the i-th of report id, and makes it the line's receipt.
func attachDemoReceipt(ctx context.Context, db *gorm.DB, blobs *storage.Store, slug string, owner models.Viewer, id int64, l models.ExpenseLine, i int) error {
	data, name, err := demoReceiptImage(l.Merchant+l.Amount().String(), i%2 == 1)
	if err != nil {
		return err
	}
	up, err := blobs.Receive(ctx, slug, bytes.NewReader(data), name, 10<<20)
	if err != nil {
		return err
	}
	_, err = models.AttachReceipt(ctx, db, owner, id, l.ID, models.NewAttachment{Filename: up.Filename, ContentType: up.ContentType,
		SizeBytes: up.Size, SHA256: up.SHA256, StorageKey: up.Key})
	return err
}

// demoReceiptImage draws a receipt: a slip of paper with lines of print of lengths taken from
// seed, a total line and a tear-off edge; as a PNG scan, or a JPEG photo on a dark table.
func demoReceiptImage(seed string, scan bool) ([]byte, string, error) {
	h := fnv.New32a()
	h.Write([]byte(seed))
	n := h.Sum32()
	const w, hgt = 180, 280
	img := image.NewRGBA(image.Rect(0, 0, w, hgt))
	table, paper, ink := color.RGBA{70, 62, 55, 255}, color.RGBA{250, 249, 244, 255}, color.RGBA{55, 55, 65, 255}
	margin := 18
	if scan {
		table, margin = paper, 0
	}
	for y := 0; y < hgt; y++ {
		for x := 0; x < w; x++ {
			c := table
			inPaper := x >= margin && x < w-margin && y >= margin/2 && y < hgt-margin/2-int((uint32(x)*7+n)%5)
			if inPaper {
				c = paper
			}
			img.Set(x, y, c)
		}
	}
	row := 0
	for y := margin/2 + 16; y < hgt-margin-30; y += 14 {
		length := 40 + int((n>>uint(row%24))%90)
		if row == 0 {
			length = 110 // the merchant's name, centred
		}
		x0 := margin + 12
		if row == 0 {
			x0 = (w - length) / 2
		}
		for x := x0; x < x0+length && x < w-margin-12; x++ {
			for dy := 0; dy < 3; dy++ {
				img.Set(x, y+dy, ink)
			}
		}
		row++
	}
	for x := w - margin - 70; x < w-margin-12; x++ { // the total, in bold
		for dy := 0; dy < 6; dy++ {
			img.Set(x, hgt-margin-24+dy, ink)
		}
	}
	var b bytes.Buffer
	if scan {
		err := png.Encode(&b, img)
		return b.Bytes(), "receipt-scan.png", err
	}
	err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes(), "receipt-photo.jpg", err
}
