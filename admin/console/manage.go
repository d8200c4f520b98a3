package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/api"
	"github.com/authgate/authgate/credential/apikey"
	"github.com/authgate/authgate/credential/basic"
	"github.com/authgate/authgate/reason"
	"github.com/authgate/authgate/store"
)

// auditShown is how many audit events the audit page lists.
const auditShown = 200

// actor names the signed-in operator in the audit trail, as the admin
// API does ("admin:" and the credential's subject) with "console" added.
func actor(ss *session) string { return "admin:" + ss.subject + " (console)" }

// storeFunc is a page or an action on keys, users or the audit trail.
type storeFunc func(r *http.Request, ss *session, st store.Store) (view, error)

// withStore runs h with the store, or answers store_not_configured when
// the gateway has none.
func (c *console) withStore(h storeFunc) handlerFunc {
	return func(r *http.Request, ss *session) (view, error) {
		if c.store == nil {
			return view{}, reason.New(reason.StoreNotConfigured, "this gateway has no store (no route takes API keys or Basic)")
		}
		return h(r, ss, c.store)
	}
}

// keysData is the keys page's.
type keysData struct {
	Keys []keyRow
}

// keyRow is a key as the keys page lists it: its view (with its state in
// words) and whether that state lets the key in, which shows it green.
type keyRow struct {
	api.KeyView
	Usable bool
}

func (c *console) keysPage(r *http.Request, _ *session, st store.Store) (view, error) {
	keys, err := st.Keys(r.Context())
	if err != nil {
		return view{}, err
	}
	d, now := keysData{}, time.Now()
	for _, k := range keys {
		d.Keys = append(d.Keys, keyRow{KeyView: apikey.View(k, now), Usable: apikey.StateOf(k, now).Usable()})
	}
	return view{template: "keys", data: pageData{Title: "API keys", Nav: "keys", Data: d}}, nil
}

// createdData shows a new key, once.
type createdData struct {
	Key api.KeyView
	// Replaces is the id of the key a rotation replaced.
	Replaces string
	Grace    string
}

// expiryChoices are the lifetimes the create form offers.
var expiryChoices = map[string]time.Duration{"": 0, "1d": 24 * time.Hour, "30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour, "365d": 365 * 24 * time.Hour}

func (c *console) createKey(r *http.Request, ss *session, st store.Store) (view, error) {
	life, ok := expiryChoices[r.PostFormValue("expires")]
	if !ok {
		return view{}, reason.New(reason.RequestInvalid, "expires must be one of the form's choices")
	}
	spec := apikey.Spec{Name: strings.TrimSpace(r.PostFormValue("name")), Kind: r.PostFormValue("kind"),
		Environment: r.PostFormValue("environment"), Scopes: strings.Fields(strings.ReplaceAll(r.PostFormValue("scopes"), ",", " "))}
	if life > 0 {
		spec.Expires = time.Now().Add(life).UTC()
	}
	if q := strings.TrimSpace(r.PostFormValue("quota")); q != "" {
		quota, err := apikey.ParseQuota(q)
		if err != nil {
			return view{}, err
		}
		spec.Quota = quota
	}
	k, key, err := apikey.Create(r.Context(), st, spec, actor(ss))
	if err != nil {
		return view{}, err
	}
	v := apikey.View(k, time.Now())
	v.Key = key
	return view{status: http.StatusCreated, template: "key-created", data: pageData{Title: "Key created", Nav: "keys", Notice: "The key “" + cutText(k.Name, 80) + "” is created.",
		Data: createdData{Key: v}}}, nil
}

// confirmData asks before a change that cannot be undone; Warning, when
// set, says why this one is special (one's own key).
type confirmData struct {
	Question, Warning, Action, Button, Back string
}

func (c *console) confirmRevoke(r *http.Request, ss *session, st store.Store) (view, error) {
	k, err := st.KeyByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return view{}, err
	}
	d := confirmData{Question: "Revoke the key “" + k.Name + "” (" + k.ID + ")? Every request with it is refused from the next one on, with credential_revoked. This cannot be undone.",
		Action: "/console/keys/" + url.PathEscape(k.ID) + "/revoke", Button: "Revoke the key", Back: "/console/keys"}
	if ss.subject == "apikey:"+k.ID {
		d.Warning = "This is the admin key you are signed in with: revoking it ends this session (and every other one signed in with it) at once, and the key can no longer open the admin API or this console. Make sure another admin key or sign-in works first."
		d.Button = "Revoke my own key and sign out"
	}
	return view{template: "confirm", data: pageData{Title: "Revoke a key", Nav: "keys", Data: d}}, nil
}

func (c *console) revokeKey(r *http.Request, ss *session, st store.Store) (view, error) {
	id := r.PathValue("id")
	if err := st.RevokeKey(r.Context(), id, time.Now(), actor(ss)); err != nil {
		return view{}, err
	}
	c.sessions.notify(ss, "The key "+id+" is revoked: its next request is refused with credential_revoked.")
	c.sessions.endSubject("apikey:" + id)
	return view{redirect: "/console/keys"}, nil
}

func (c *console) rotateKey(r *http.Request, ss *session, st store.Store) (view, error) {
	grace, err := time.ParseDuration(strings.TrimSpace(r.PostFormValue("grace")))
	if err != nil || grace < 0 {
		return view{}, reason.New(reason.RequestInvalid, "grace must be a duration such as 24h or 90m")
	}
	id := r.PathValue("id")
	next, key, err := apikey.Rotate(r.Context(), st, id, grace, actor(ss))
	if err != nil {
		return view{}, err
	}
	v := apikey.View(next, time.Now())
	v.Key = key
	return view{status: http.StatusCreated, template: "key-created", data: pageData{Title: "Key rotated", Nav: "keys", Notice: "The key " + id + " is rotated.",
		Data: createdData{Key: v, Replaces: id, Grace: grace.String()}}}, nil
}

// usersData is the users page's.
type usersData struct {
	Users []api.UserView
}

func (c *console) usersPage(r *http.Request, _ *session, st store.Store) (view, error) {
	users, err := st.Users(r.Context())
	if err != nil {
		return view{}, err
	}
	d := usersData{}
	for _, u := range users {
		d.Users = append(d.Users, basic.View(u))
	}
	return view{template: "users", data: pageData{Title: "Basic users", Nav: "users", Data: d}}, nil
}

func (c *console) addUser(r *http.Request, ss *session, st store.Store) (view, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	scopes := strings.Fields(strings.ReplaceAll(r.PostFormValue("scopes"), ",", " "))
	if err := basic.AddUser(r.Context(), st, name, r.PostFormValue("password"), scopes, actor(ss)); err != nil {
		return view{}, err
	}
	c.sessions.notify(ss, "The user “"+cutText(name, 80)+"” is added.")
	return view{redirect: "/console/users"}, nil
}

func (c *console) setPassword(r *http.Request, ss *session, st store.Store) (view, error) {
	if err := basic.SetPassword(r.Context(), st, r.PathValue("name"), r.PostFormValue("password"), actor(ss)); err != nil {
		return view{}, err
	}
	c.sessions.notify(ss, "The password of “"+cutText(r.PathValue("name"), 80)+"” is changed.")
	return view{redirect: "/console/users"}, nil
}

func (c *console) confirmRemove(r *http.Request, _ *session, st store.Store) (view, error) {
	u, err := st.User(r.Context(), r.PathValue("name"))
	if err != nil {
		return view{}, err
	}
	d := confirmData{Question: "Remove the Basic user “" + u.Name + "”? Requests with its password are refused from the next one on.",
		Action: "/console/users/" + url.PathEscape(u.Name) + "/remove", Button: "Remove the user", Back: "/console/users"}
	return view{template: "confirm", data: pageData{Title: "Remove a user", Nav: "users", Data: d}}, nil
}

func (c *console) removeUser(r *http.Request, ss *session, st store.Store) (view, error) {
	if err := st.RemoveUser(r.Context(), r.PathValue("name"), actor(ss)); err != nil {
		return view{}, err
	}
	c.sessions.notify(ss, "The user “"+cutText(r.PathValue("name"), 80)+"” is removed.")
	return view{redirect: "/console/users"}, nil
}

func (c *console) auditPage(r *http.Request, _ *session, st store.Store) (view, error) {
	events, err := store.AuditViews(r.Context(), st, auditShown)
	if err != nil {
		return view{}, err
	}
	return view{template: "audit", data: pageData{Title: "Audit trail", Nav: "audit", Data: events}}, nil
}
