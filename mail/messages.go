package mail

import (
	"fmt"
	"time"

	"outlay"
)

// Invitation is the email that asks a person to join an organisation: it carries the link
// with which they choose a password, and says how long it works.
func Invitation(to, name, orgName, inviter, link string, ttl time.Duration) Message {
	who := "You are invited"
	if inviter != "" {
		who = inviter + " has invited you"
	}
	return Message{
		To:      to,
		Subject: "You are invited to " + orgName + " on Outlay",
		Body: fmt.Sprintf("Hello %s,\n\n%s to %s on Outlay, its spend-management app. You sign in as %s.\n"+
			"Open this link within %s to choose your password:\n\n%s\n\n"+
			"The link works once. If you were not expecting this invitation, ignore this email.\n",
			name, who, orgName, to, outlay.Hours(ttl), link),
	}
}

// PasswordReset is the mail with a link to choose a new password.
func PasswordReset(to, name, orgName, link string, ttl time.Duration) Message {
	return Message{
		To:      to,
		Subject: "Reset your Outlay password for " + orgName,
		Body: fmt.Sprintf("Hello %s,\n\nSomeone (we hope you, or an admin of %s helping you) asked to reset your Outlay password for %s.\n"+
			"Open this link within %s to choose a new one:\n\n%s\n\n"+
			"The link works once. If you did not ask for it, ignore this email: your password stays as it is.\n",
			name, orgName, orgName, outlay.Hours(ttl), link),
	}
}

// SingleSignOn answers "Forgot password" for a person who has no password because they sign
// in with single sign-on: there is nothing to reset, so instead of a link it says how they
// sign in, through providers (the labels of the providers their account is linked to, which
// name the buttons of the sign-in page; none when not known), and links to that page.
func SingleSignOn(to, name, orgName string, providers []string, loginURL string) Message {
	through, choose := ".", "the single sign-on your organisation uses"
	if len(providers) > 0 {
		buttons := make([]string, len(providers))
		for i, p := range providers {
			buttons[i] = "“Sign in with " + p + "”"
		}
		through, choose = ", through "+outlay.List(providers, "or")+".", outlay.List(buttons, "or")
	}
	return Message{
		To:      to,
		Subject: "How you sign in to " + orgName + " on Outlay",
		Body: fmt.Sprintf("Hello %s,\n\nSomeone (we hope you) asked to reset your Outlay password for %s. There is no password to reset: you sign in with single sign-on%s\n"+
			"Open the sign-in page and choose %s:\n\n%s\n\n"+
			"If you cannot sign in that way, ask an admin of %s for help. If you did not ask to reset your password, ignore this email: nothing has changed.\n",
			name, orgName, through, choose, loginURL, orgName),
	}
}

// SSOLinked tells a person that an account at a sign-in provider (providerLabel, where it
// has the address providerEmail) was linked to their Outlay account, and now signs them in:
// if it was not them, whoever it was can sign in as them until an admin unlinks it.
func SSOLinked(to, name, orgName, providerLabel, providerEmail, securityURL string) Message {
	return Message{
		To:      to,
		Subject: providerLabel + " now signs you in to " + orgName + " on Outlay",
		Body: fmt.Sprintf("Hello %s,\n\nYour %s account %s was just linked to your Outlay account for %s, and signed in. "+
			"From now on it signs you in with the “Sign in with %s” button.\n\n"+
			"If this was you, there is nothing to do. If it was not, change your password at once (%s) "+
			"and ask an admin of %s to unlink that account: until then, whoever holds it can sign in as you.\n",
			name, providerLabel, providerEmail, orgName, providerLabel, securityURL, orgName),
	}
}
