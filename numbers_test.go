package outlay

import "testing"

func TestCountGroupsThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 4217: "4,217", 200000: "200,000", 5000000: "5,000,000", -12345: "-12,345"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestListJoinsAsASentence(t *testing.T) {
	for _, tc := range []struct {
		words      []string
		last, want string
	}{
		{nil, "and", ""},
		{[]string{"Okta"}, "or", "Okta"},
		{[]string{"Okta", "Google"}, "or", "Okta or Google"},
		{[]string{"a name", "an email", "a role"}, "and", "a name, an email and a role"},
	} {
		if got := List(tc.words, tc.last); got != tc.want {
			t.Errorf("List(%q, %q) = %q, want %q", tc.words, tc.last, got, tc.want)
		}
	}
}
