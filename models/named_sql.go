package models

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// namedRaw is db.Raw(sql, args) for the long statements with named parameters (@name) that
// run on every request of a page: the approval queue's. GORM's Raw copies such a text a byte
// at a time, looking each name up as it goes; for the queue's statements (4–9 kB) that was a
// tenth of the server's time on /approvals. namedRaw splits a text at its parameters once
// (kept per text) and then only joins the pieces, numbering the parameters itself: a name is
// one parameter ($n) wherever it appears, and a list (IN @roles) one parameter for each of
// its elements, in parentheses (none when the name follows a parenthesis), "(NULL)" when it
// is empty, as GORM writes them.
//
// Every @name in the text is a parameter (the texts given here hold no @ in a literal), and
// a name without a value is an error of the statement.
func namedRaw(db *gorm.DB, sql string, args map[string]any) *gorm.DB {
	text, vars, err := namedStatementOf(sql).bind(args)
	if err != nil {
		tx := db.Raw("")
		_ = tx.AddError(err)
		return tx
	}
	return numberedStatement(db, text, vars)
}

// numberedStatement is db.Raw(sql, args...) for a statement whose parameters are already
// numbered ($1, $2, ...): Raw copies the text a byte at a time looking for ? to fill, which
// for the dashboard's statement (about 12 kB) cost as much Go time as sending it and reading
// its row. It is still GORM's statement, run through the handle's callbacks.
func numberedStatement(db *gorm.DB, sql string, args []any) *gorm.DB {
	tx := db.Raw("")
	tx.Statement.SQL.WriteString(sql)
	tx.Statement.Vars = args
	return tx
}

// namedSQL is a statement's text split at its parameters: text[i] comes before params[i],
// and the last piece of text after the last parameter.
type namedSQL struct {
	text   []string
	params []string
	// inParens reports, for each parameter, whether it follows an opening parenthesis.
	inParens []bool
	size     int // the text's length without its parameters
}

// namedStatements keeps each text's namedSQL (string → *namedSQL). The texts are those the
// package writes, a handful for each kind of document.
var namedStatements sync.Map

func namedStatementOf(sql string) *namedSQL {
	if st, ok := namedStatements.Load(sql); ok {
		return st.(*namedSQL)
	}
	st := splitNamed(sql)
	namedStatements.Store(sql, st)
	return st
}

func splitNamed(sql string) *namedSQL {
	st := &namedSQL{}
	last := 0
	for i := 0; i < len(sql); i++ {
		if sql[i] != '@' || i+1 >= len(sql) || !isNameStart(sql[i+1]) {
			continue
		}
		end := i + 2
		for end < len(sql) && isNameByte(sql[end]) {
			end++
		}
		st.text = append(st.text, sql[last:i])
		st.params = append(st.params, sql[i+1:end])
		st.inParens = append(st.inParens, strings.HasSuffix(strings.TrimRight(sql[last:i], " \t\r\n"), "("))
		st.size += i - last
		last = end
		i = end - 1
	}
	st.text = append(st.text, sql[last:])
	st.size += len(sql) - last
	return st
}

func isNameStart(b byte) bool {
	return b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

func isNameByte(b byte) bool { return isNameStart(b) || '0' <= b && b <= '9' }

// bind writes the statement with numbered parameters for args and returns it with their values
// in order.
func (st *namedSQL) bind(args map[string]any) (string, []any, error) {
	var b strings.Builder
	b.Grow(st.size + 4*len(st.params))
	vars := make([]any, 0, len(st.params))
	numbered := make(map[string]string, len(args)) // a name's $n (or its list) once written
	for i, name := range st.params {
		b.WriteString(st.text[i])
		if n, ok := numbered[name]; ok {
			b.WriteString(n)
			continue
		}
		v, ok := args[name]
		if !ok {
			return "", nil, fmt.Errorf("no value for @%s", name)
		}
		start := b.Len()
		if list, ok := listOf(v); ok {
			switch {
			case len(list) == 0:
				b.WriteString("(NULL)")
			default:
				if !st.inParens[i] {
					b.WriteByte('(')
				}
				for j, e := range list {
					if j > 0 {
						b.WriteByte(',')
					}
					vars = append(vars, e)
					b.WriteString("$" + strconv.Itoa(len(vars)))
				}
				if !st.inParens[i] {
					b.WriteByte(')')
				}
			}
		} else {
			vars = append(vars, v)
			b.WriteString("$" + strconv.Itoa(len(vars)))
		}
		numbered[name] = b.String()[start:]
	}
	b.WriteString(st.text[len(st.text)-1])
	return b.String(), vars, nil
}

// listOf returns the elements of a slice or array value other than bytes: a list parameter.
func listOf(v any) ([]any, bool) {
	switch l := v.(type) {
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	case []int64:
		out := make([]any, len(l))
		for i, n := range l {
			out[i] = n
		}
		return out, true
	case []any:
		return l, true
	case []byte, nil:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); (k != reflect.Slice && k != reflect.Array) || rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}
