package models

import (
	"reflect"
	"strings"
	"testing"
)

// TestNamedStatementsNumberEachNameOnce checks how a statement with named parameters is
// written for the database: each name is one numbered parameter wherever it appears, a list
// one parameter for each element (in parentheses unless the text has them), an empty list
// NULL; an operator (@>) stays as it was, and every @name is a parameter, even in a comment.
func TestNamedStatementsNumberEachNameOnce(t *testing.T) {
	for _, c := range []struct {
		sql  string
		args map[string]any
		want string
		vars []any
	}{
		{
			sql:  `SELECT 1 WHERE a = @me AND b IN @roles OR c = @me AND @esc IN @roles`,
			args: map[string]any{"me": int64(7), "roles": []string{"x", "y"}, "esc": "admin"},
			want: `SELECT 1 WHERE a = $1 AND b IN ($2,$3) OR c = $1 AND $4 IN ($2,$3)`,
			vars: []any{int64(7), "x", "y", "admin"},
		},
		{
			sql:  "SELECT 1 WHERE id IN (@ids) AND tag IN @none AND j @> '{}' AND k = @k_2\n-- a@b.example",
			args: map[string]any{"ids": []int64{4, 5}, "none": []string{}, "k_2": nil, "b": "never"},
			want: "SELECT 1 WHERE id IN ($1,$2) AND tag IN (NULL) AND j @> '{}' AND k = $3\n-- a$4.example",
			vars: []any{int64(4), int64(5), nil, "never"},
		},
		{
			sql:  `SELECT @raw::bytea, @n LIMIT @n`,
			args: map[string]any{"raw": []byte{1, 2}, "n": 3},
			want: `SELECT $1::bytea, $2 LIMIT $2`,
			vars: []any{[]byte{1, 2}, 3},
		},
	} {
		text, vars, err := namedStatementOf(c.sql).bind(c.args)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if text != c.want || !reflect.DeepEqual(vars, c.vars) {
			t.Errorf("%s:\n got %s %v\nwant %s %v", c.sql, text, vars, c.want, c.vars)
		}
	}
	if _, _, err := namedStatementOf(`SELECT @missing`).bind(map[string]any{}); err == nil || !strings.Contains(err.Error(), "@missing") {
		t.Errorf("a name without a value: %v, want an error naming it", err)
	}
}
