package bankfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"outlay/money"
)

// NACHA's fixed layout: every record is 94 characters, records are grouped in blocks of ten,
// and a file's last block is filled out with records of nines.
const (
	nachaRecordLength   = 94
	nachaBlockingFactor = 10
)

// NACHAMaxEntry is the most one ACH entry may carry: its amount field holds ten digits of
// cents. A payment of more cannot be written as one entry.
var NACHAMaxEntry = money.Money{Minor: 99_999_999_99, Currency: "USD"}

// Transaction codes of the credit entries Outlay originates (it pays vendors; it never
// debits them).
const (
	ACHCheckingCredit = 22
	ACHSavingsCredit  = 32
)

// Standard entry class codes: PPD pays a person's account, CCD a company's.
const (
	SECPPD = "PPD"
	SECCCD = "CCD"
)

// serviceClassCredits marks a batch that holds credits only.
const serviceClassCredits = 220

// ACHFile is one NACHA file: the originator's bank (immediate destination), the originator
// and its batches of entries.
type ACHFile struct {
	// ImmediateDestination is the nine-digit routing number of the bank the file is sent to
	// (the originating depository financial institution).
	ImmediateDestination     string
	ImmediateDestinationName string
	// ImmediateOrigin is the originator as the bank knows it: ten characters, usually a
	// company identification or a routing number preceded by a space.
	ImmediateOrigin     string
	ImmediateOriginName string
	CreatedAt           time.Time
	// FileIDModifier tells apart files made the same day (A–Z, 0–9); "A" when empty.
	FileIDModifier string
	ReferenceCode  string
	Batches        []ACHBatch
}

// ACHBatch is a batch of entries from one company with one entry class and effective date.
type ACHBatch struct {
	CompanyName          string
	CompanyDiscretionary string
	CompanyID            string // ten characters, as agreed with the bank (often "1" + EIN)
	SEC                  string // SECPPD or SECCCD
	EntryDescription     string // what the receiver sees on their statement ("PAYMENT")
	DescriptiveDate      string
	EffectiveDate        time.Time
	// OriginatingDFI is the first eight digits of the originating bank's routing number.
	OriginatingDFI string
	Entries        []ACHEntry
}

// ACHEntry is one credit to a receiver's account.
type ACHEntry struct {
	TransactionCode      int    // ACHCheckingCredit or ACHSavingsCredit
	RoutingNumber        string // nine digits, the last one a check digit
	AccountNumber        string // up to 17 characters
	AmountCents          int64
	IdentificationNumber string // up to 15 characters: the vendor's number, say
	ReceiverName         string // up to 22 characters
	DiscretionaryData    string // two characters
	// Addenda, when set, travels with the entry as one addenda record (type 05) of up to 80
	// characters: the invoice numbers being paid.
	Addenda string
	// TraceNumber is set by WriteNACHA (and ParseNACHA): the originating bank's eight digits
	// and the entry's sequence in the file.
	TraceNumber string
}

// ACHControl holds the control totals of a batch or of the file.
type ACHControl struct {
	BatchCount        int // file only
	BlockCount        int // file only
	EntryAddendaCount int
	EntryHash         int64 // the sum of the entries' eight-digit receiving bank ids, last ten digits
	TotalDebitCents   int64
	TotalCreditCents  int64
}

// ValidRoutingNumber reports whether s is nine digits whose check digit is right: the ABA
// weights 3, 7, 1 repeated over the nine digits sum to a multiple of ten.
func ValidRoutingNumber(s string) bool {
	if len(s) != 9 {
		return false
	}
	weights := [9]int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		sum += int(s[i]-'0') * weights[i]
	}
	return sum%10 == 0 && s != "000000000"
}

// ValidACHAccountNumber reports whether s can stand in an entry's account field: 1 to 17
// letters, digits or hyphens (banks use digits; a few put letters or hyphens in).
func ValidACHAccountNumber(s string) bool {
	if s == "" || len(s) > 17 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// BatchControl computes a batch's control totals.
func (b ACHBatch) BatchControl() ACHControl {
	var c ACHControl
	for _, e := range b.Entries {
		c.EntryAddendaCount++
		if e.Addenda != "" {
			c.EntryAddendaCount++
		}
		if len(e.RoutingNumber) >= 8 {
			n, _ := strconv.ParseInt(e.RoutingNumber[:8], 10, 64)
			c.EntryHash += n
		}
		if isDebit(e.TransactionCode) {
			c.TotalDebitCents += e.AmountCents
		} else {
			c.TotalCreditCents += e.AmountCents
		}
	}
	c.EntryHash %= 10_000_000_000
	return c
}

// FileControl computes the file's control totals.
func (f ACHFile) FileControl() ACHControl {
	c := ACHControl{BatchCount: len(f.Batches)}
	records := 2 // file header and control
	for _, b := range f.Batches {
		bc := b.BatchControl()
		c.EntryAddendaCount += bc.EntryAddendaCount
		c.EntryHash += bc.EntryHash
		c.TotalDebitCents += bc.TotalDebitCents
		c.TotalCreditCents += bc.TotalCreditCents
		records += 2 + bc.EntryAddendaCount
	}
	c.EntryHash %= 10_000_000_000
	c.BlockCount = (records + nachaBlockingFactor - 1) / nachaBlockingFactor
	return c
}

func isDebit(code int) bool { return code%10 >= 5 }

// Validate names the first thing in f a bank would refuse.
func (f ACHFile) Validate() error {
	if !ValidRoutingNumber(f.ImmediateDestination) {
		return fmt.Errorf("the bank's routing number %q is not a valid ABA routing number", f.ImmediateDestination)
	}
	if strings.TrimSpace(f.ImmediateOrigin) == "" || len(f.ImmediateOrigin) > 10 {
		return errors.New("the originator's identification must be 1 to 10 characters")
	}
	if m := f.FileIDModifier; m != "" && (len(m) != 1 || !isUpperAlnum(m[0])) {
		return errors.New("the file id modifier must be one capital letter or digit")
	}
	if len(f.Batches) == 0 {
		return errors.New("the file has no batches")
	}
	for i, b := range f.Batches {
		if err := b.validate(); err != nil {
			return fmt.Errorf("batch %d: %w", i+1, err)
		}
	}
	c := f.FileControl()
	if c.TotalCreditCents > 9_999_999_999_99 || c.EntryAddendaCount > 99_999_999 {
		return errors.New("the file is larger than a NACHA file can hold: split the payments across several files")
	}
	return nil
}

func (b ACHBatch) validate() error {
	if b.SEC != SECPPD && b.SEC != SECCCD {
		return fmt.Errorf("entry class %q is not PPD or CCD", b.SEC)
	}
	if strings.TrimSpace(b.CompanyName) == "" {
		return errors.New("the company name is empty")
	}
	if strings.TrimSpace(b.CompanyID) == "" || len(b.CompanyID) > 10 {
		return errors.New("the company identification must be 1 to 10 characters")
	}
	if len(b.OriginatingDFI) != 8 || !allDigits(b.OriginatingDFI) {
		return errors.New("the originating bank's id must be the first eight digits of its routing number")
	}
	if b.EffectiveDate.IsZero() {
		return errors.New("the effective entry date is missing")
	}
	if len(b.Entries) == 0 {
		return errors.New("the batch has no entries")
	}
	for i, e := range b.Entries {
		if err := e.validate(); err != nil {
			return fmt.Errorf("entry %d (%s): %w", i+1, e.ReceiverName, err)
		}
	}
	return nil
}

func (e ACHEntry) validate() error {
	switch {
	case e.TransactionCode != ACHCheckingCredit && e.TransactionCode != ACHSavingsCredit:
		return fmt.Errorf("transaction code %d is not a checking or savings credit", e.TransactionCode)
	case !ValidRoutingNumber(e.RoutingNumber):
		return fmt.Errorf("routing number %q is not a valid ABA routing number (check digit)", e.RoutingNumber)
	case !ValidACHAccountNumber(e.AccountNumber):
		return errors.New("the account number must be 1 to 17 letters, digits or hyphens")
	case e.AmountCents <= 0:
		return errors.New("the amount must be more than zero")
	case e.AmountCents > NACHAMaxEntry.Minor:
		return fmt.Errorf("the amount is more than the %s one ACH entry can carry: split the payment into several entries of at most that, or pay it another way, such as a wire", NACHAMaxEntry)
	case strings.TrimSpace(achText(e.ReceiverName)) == "":
		return errors.New("the receiver's name is empty")
	}
	return nil
}

// WriteNACHA validates f and writes it as a NACHA file: 94-character records ending in a
// newline, batches numbered from 1, trace numbers from the originating bank's id and the
// entry's place in the file (set on f's entries, so the caller can keep them), and the last
// block filled out with records of nines.
func WriteNACHA(w io.Writer, f *ACHFile) error {
	if err := f.Validate(); err != nil {
		return err
	}
	var records []string
	add := func(fields ...string) {
		records = append(records, strings.Join(fields, ""))
	}
	modifier := f.FileIDModifier
	if modifier == "" {
		modifier = "A"
	}
	add("1", "01", alpha(" "+f.ImmediateDestination, 10), alpha(leftPadOrigin(f.ImmediateOrigin), 10),
		f.CreatedAt.Format("060102"), f.CreatedAt.Format("1504"), modifier, "094", "10", "1",
		alpha(f.ImmediateDestinationName, 23), alpha(f.ImmediateOriginName, 23), alpha(f.ReferenceCode, 8))
	seq := 0
	for bi, b := range f.Batches {
		batchNo := numeric(int64(bi+1), 7)
		add("5", strconv.Itoa(serviceClassCredits), alpha(b.CompanyName, 16), alpha(b.CompanyDiscretionary, 20),
			alpha(b.CompanyID, 10), b.SEC, alpha(b.EntryDescription, 10), alpha(b.DescriptiveDate, 6),
			b.EffectiveDate.Format("060102"), "   ", "1", b.OriginatingDFI, batchNo)
		for i := range b.Entries {
			e := &f.Batches[bi].Entries[i]
			seq++
			e.TraceNumber = b.OriginatingDFI + numeric(int64(seq), 7)
			addenda := "0"
			if e.Addenda != "" {
				addenda = "1"
			}
			add("6", strconv.Itoa(e.TransactionCode), e.RoutingNumber[:8], e.RoutingNumber[8:],
				alpha(e.AccountNumber, 17), numeric(e.AmountCents, 10), alpha(e.IdentificationNumber, 15),
				alpha(e.ReceiverName, 22), alpha(e.DiscretionaryData, 2), addenda, e.TraceNumber)
			if e.Addenda != "" {
				add("7", "05", alpha(e.Addenda, 80), "0001", e.TraceNumber[8:])
			}
		}
		c := b.BatchControl()
		add("8", strconv.Itoa(serviceClassCredits), numeric(int64(c.EntryAddendaCount), 6), numeric(c.EntryHash, 10),
			numeric(c.TotalDebitCents, 12), numeric(c.TotalCreditCents, 12), alpha(b.CompanyID, 10),
			strings.Repeat(" ", 19), strings.Repeat(" ", 6), b.OriginatingDFI, batchNo)
	}
	c := f.FileControl()
	add("9", numeric(int64(c.BatchCount), 6), numeric(int64(c.BlockCount), 6), numeric(int64(c.EntryAddendaCount), 8),
		numeric(c.EntryHash, 10), numeric(c.TotalDebitCents, 12), numeric(c.TotalCreditCents, 12), strings.Repeat(" ", 39))
	for len(records)%nachaBlockingFactor != 0 {
		records = append(records, strings.Repeat("9", nachaRecordLength))
	}
	bw := bufio.NewWriter(w)
	for i, r := range records {
		if len(r) != nachaRecordLength {
			// A field wider than its slot would shift every field after it: never write that.
			return fmt.Errorf("bankfile: record %d is %d characters, not 94", i+1, len(r))
		}
		bw.WriteString(r)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// leftPadOrigin right-aligns a nine-digit routing number used as the immediate origin, as
// banks expect (" 123456789"); other identifications are written as given.
func leftPadOrigin(s string) string {
	if len(s) == 9 && allDigits(s) {
		return " " + s
	}
	return s
}

// ParseNACHA reads a NACHA file back: every record must be 94 characters, the file whole
// blocks of ten, and every batch's and the file's control record must agree with the
// entries read. It returns the file as written (trace numbers included).
func ParseNACHA(r io.Reader) (ACHFile, error) {
	var f ACHFile
	sc := bufio.NewScanner(r)
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return f, err
	}
	if len(lines) == 0 || len(lines)%nachaBlockingFactor != 0 {
		return f, fmt.Errorf("the file has %d records, not whole blocks of ten", len(lines))
	}
	var batch *ACHBatch
	var fileControl *ACHControl
	for i, l := range lines {
		if len(l) != nachaRecordLength {
			return f, fmt.Errorf("record %d is %d characters, not 94", i+1, len(l))
		}
		if fileControl != nil {
			if l != strings.Repeat("9", nachaRecordLength) {
				return f, fmt.Errorf("record %d follows the file control but is not padding", i+1)
			}
			continue
		}
		switch l[0] {
		case '1':
			if i != 0 || l[34:37] != "094" || l[37:39] != "10" {
				return f, fmt.Errorf("record %d: a bad file header", i+1)
			}
			f.ImmediateDestination = strings.TrimSpace(l[3:13])
			f.ImmediateOrigin = strings.TrimSpace(l[13:23])
			f.CreatedAt, _ = time.Parse("0601021504", l[23:33])
			f.FileIDModifier = l[33:34]
			f.ImmediateDestinationName = strings.TrimSpace(l[40:63])
			f.ImmediateOriginName = strings.TrimSpace(l[63:86])
			f.ReferenceCode = strings.TrimSpace(l[86:94])
		case '5':
			if batch != nil {
				return f, fmt.Errorf("record %d: a batch header inside a batch", i+1)
			}
			eff, err := time.Parse("060102", l[69:75])
			if err != nil {
				return f, fmt.Errorf("record %d: a bad effective date", i+1)
			}
			batch = &ACHBatch{CompanyName: strings.TrimSpace(l[4:20]), CompanyDiscretionary: strings.TrimSpace(l[20:40]),
				CompanyID: strings.TrimSpace(l[40:50]), SEC: l[50:53], EntryDescription: strings.TrimSpace(l[53:63]),
				DescriptiveDate: strings.TrimSpace(l[63:69]), EffectiveDate: eff, OriginatingDFI: l[79:87]}
		case '6':
			if batch == nil {
				return f, fmt.Errorf("record %d: an entry outside a batch", i+1)
			}
			code, err1 := strconv.Atoi(l[1:3])
			amount, err2 := strconv.ParseInt(l[29:39], 10, 64)
			if err1 != nil || err2 != nil {
				return f, fmt.Errorf("record %d: a bad entry", i+1)
			}
			e := ACHEntry{TransactionCode: code, RoutingNumber: l[3:12], AccountNumber: strings.TrimSpace(l[12:29]),
				AmountCents: amount, IdentificationNumber: strings.TrimSpace(l[39:54]), ReceiverName: strings.TrimSpace(l[54:76]),
				DiscretionaryData: strings.TrimSpace(l[76:78]), TraceNumber: l[79:94]}
			if !ValidRoutingNumber(e.RoutingNumber) {
				return f, fmt.Errorf("record %d: routing number %s has a wrong check digit", i+1, e.RoutingNumber)
			}
			batch.Entries = append(batch.Entries, e)
		case '7':
			if batch == nil || len(batch.Entries) == 0 || l[1:3] != "05" {
				return f, fmt.Errorf("record %d: an addenda without its entry", i+1)
			}
			batch.Entries[len(batch.Entries)-1].Addenda = strings.TrimSpace(l[3:83])
		case '8':
			if batch == nil {
				return f, fmt.Errorf("record %d: a batch control outside a batch", i+1)
			}
			got, err := readControl(l, 4, 10, 20, 32)
			if err != nil {
				return f, fmt.Errorf("record %d: %w", i+1, err)
			}
			if want := batch.BatchControl(); got != want {
				return f, fmt.Errorf("record %d: batch control %+v does not match its entries %+v", i+1, got, want)
			}
			f.Batches = append(f.Batches, *batch)
			batch = nil
		case '9':
			if batch != nil {
				return f, fmt.Errorf("record %d: the file control inside a batch", i+1)
			}
			got, err := readControl(l, 13, 21, 31, 43)
			if err != nil {
				return f, fmt.Errorf("record %d: %w", i+1, err)
			}
			got.BatchCount, _ = strconv.Atoi(l[1:7])
			got.BlockCount, _ = strconv.Atoi(l[7:13])
			if want := f.FileControl(); got != want {
				return f, fmt.Errorf("record %d: file control %+v does not match the file %+v", i+1, got, want)
			}
			if got.BlockCount != len(lines)/nachaBlockingFactor {
				return f, fmt.Errorf("the file control counts %d blocks, the file has %d", got.BlockCount, len(lines)/nachaBlockingFactor)
			}
			fileControl = &got
		default:
			return f, fmt.Errorf("record %d: unknown record type %q", i+1, l[0])
		}
	}
	if fileControl == nil {
		return f, errors.New("the file has no file control record")
	}
	return f, nil
}

// readControl reads the count, hash, debit and credit fields of a control record, which
// start at countAt (its width running up to hashAt) and run on in widths of 10, 12 and 12.
func readControl(l string, countAt, hashAt, debitAt, creditAt int) (ACHControl, error) {
	var c ACHControl
	var err [4]error
	c.EntryAddendaCount, err[0] = strconv.Atoi(l[countAt:hashAt])
	c.EntryHash, err[1] = strconv.ParseInt(l[hashAt:hashAt+10], 10, 64)
	c.TotalDebitCents, err[2] = strconv.ParseInt(l[debitAt:debitAt+12], 10, 64)
	c.TotalCreditCents, err[3] = strconv.ParseInt(l[creditAt:creditAt+12], 10, 64)
	if e := errors.Join(err[:]...); e != nil {
		return c, errors.New("a control field is not a number")
	}
	return c, nil
}

// alpha is an alphanumeric field: upper-case ASCII, left-justified, filled with spaces, cut
// to width.
func alpha(s string, width int) string {
	s = achText(s)
	if len(s) > width {
		return s[:width]
	}
	return s + strings.Repeat(" ", width-len(s))
}

// numeric is a numeric field: right-justified, filled with zeros.
func numeric(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	if len(s) > width {
		return s[len(s)-width:]
	}
	return strings.Repeat("0", width-len(s)) + s
}

// achText makes s fit NACHA's character set: upper case, accented Latin letters without
// their accents, anything else outside printable ASCII as a space.
func achText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if f, ok := latinFold[r]; ok {
			b.WriteString(f)
			continue
		}
		if r < 0x20 || r > 0x7e {
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// latinFold spells the accented letters of Western European names without their accents.
var latinFold = func() map[rune]string {
	m := map[rune]string{'ß': "SS", 'Æ': "AE", 'æ': "AE", 'Œ': "OE", 'œ': "OE", 'Ø': "O", 'ø': "O", 'Ð': "D", 'ð': "D", 'Þ': "TH", 'þ': "TH"}
	groups := map[string]string{
		"A": "ÀÁÂÃÄÅàáâãäå", "C": "Çç", "E": "ÈÉÊËèéêë", "I": "ÌÍÎÏìíîï", "N": "Ññ",
		"O": "ÒÓÔÕÖòóôõö", "U": "ÙÚÛÜùúûü", "Y": "ÝŸýÿ",
	}
	for plain, accented := range groups {
		for _, r := range accented {
			m[r] = plain
		}
	}
	return m
}()

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isUpperAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
