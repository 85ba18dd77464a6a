package models

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
)

// IDList is a Postgres bigint[] of record ids, as it is read ("{3,7}").
type IDList []int64

// Scan reads a bigint[] in its text form.
func (l *IDList) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*l = nil
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("IDList: cannot read %T", src)
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	*l = (*l)[:0]
	if s == "" {
		return nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("IDList: %q: %w", s, err)
		}
		*l = append(*l, n)
	}
	return nil
}

// Value writes the list as a bigint[] literal.
func (l IDList) Value() (driver.Value, error) {
	parts := make([]string, len(l))
	for i, n := range l {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

// Has reports whether id is in the list.
func (l IDList) Has(id int64) bool {
	for _, n := range l {
		if n == id {
			return true
		}
	}
	return false
}

// Last is the list's last id, 0 when it is empty.
func (l IDList) Last() int64 {
	if len(l) == 0 {
		return 0
	}
	return l[len(l)-1]
}
