/*
 * Outlay browser behaviour. Plain ES2017, no build step, no dependencies.
 * Load after htmx, both with `defer`:
 *   <script src="…/htmx.min.<hash>.js" defer></script>
 *   <script src="…/app.<hash>.js" defer></script>
 * Everything is delegated from `document`, so it keeps working after htmx swaps.
 */
(function () {
  'use strict';

  var TOAST_MS = 5000;

  // What the keyboard reaches: the controls the focus may be moved to.
  var CONTROLS = 'a[href], button:not([disabled]), input:not([type="hidden"]):not([disabled]), ' +
    'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

  // htmx would inject a <style> for .htmx-indicator; our CSP forbids inline
  // style and app.css provides the rules. (A <meta name="htmx-config"> saying
  // the same wins anyway; this is the safety net.)
  if (window.htmx && window.htmx.config) {
    window.htmx.config.includeIndicatorStyles = false;
  }

  /* ---- CSRF: every htmx request carries the token from <meta name="csrf-token"> */
  document.addEventListener('htmx:configRequest', function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var token = meta && meta.getAttribute('content');
    if (token) {
      e.detail.headers['X-Csrf-Token'] = token;
    }
  });

  // A change made beside an edit form (<form data-draft-version>, a line's receipt attached in
  // place) says which version of the draft the edit form was read at, so that the answer
  // moves the form on to the new version only when nothing else changed the draft meanwhile.
  document.addEventListener('htmx:configRequest', function (e) {
    var elt = e.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute('data-draft-version')) return;
    var version = document.getElementById('draft-version');
    if (version) e.detail.headers['Outlay-Draft-Version'] = version.value;
  });

  /* ---- Leaving a form with changes not saved ---- */
  // A document's form (<form data-warn-unsaved>) asks before the page is left (a link, the
  // tab closed, another form on the page sent, such as an attachment's upload) once something
  // was typed in it and not saved, or when the page itself shows what was typed and not saved
  // (<form data-unsaved>: a line added, or the form refused). Sending the form itself, or an
  // answer that moves to another page on purpose (HX-Redirect: saved, or the session ended
  // with what was typed kept), does not ask.
  var typedUnsaved = false;
  var leaving = false;

  function warnedForm(el) {
    var form = el && (el.form || (el.closest && el.closest('form')));
    return form && form.hasAttribute('data-warn-unsaved') ? form : null;
  }

  function noteTyping(e) {
    if (warnedForm(e.target instanceof Element ? e.target : null)) typedUnsaved = true;
  }
  document.addEventListener('input', noteTyping);
  document.addEventListener('change', noteTyping);

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (e.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    // The form itself, or one whose question was answered (delete this draft?).
    var asked = form.hasAttribute('data-confirm') || (e.submitter && e.submitter.hasAttribute('data-confirm'));
    if (form.hasAttribute('data-warn-unsaved') || asked) leaving = true;
  });

  document.addEventListener('htmx:beforeOnLoad', function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (xhr && xhr.getResponseHeader('HX-Redirect')) leaving = true;
  });

  window.addEventListener('pageshow', function () { leaving = false; });

  window.addEventListener('beforeunload', function (e) {
    if (leaving) return;
    if (!typedUnsaved && !document.querySelector('form[data-warn-unsaved][data-unsaved]')) return;
    e.preventDefault();
    e.returnValue = '';
  });

  /* ---- Navigation drawer (small screens) ---- */
  function navOpen() {
    return document.body.classList.contains('nav-open');
  }

  // The open drawer covers the page, which is made inert meanwhile (the rest of the shell and
  // the toasts): Tab and a screen reader stay in the drawer, Tab going round from its last link
  // to its first, until Escape, a link or the backdrop closes it.
  function pageBehind() {
    var sidebar = document.querySelector('.sidebar');
    if (!sidebar) return [];
    return Array.prototype.filter.call(document.querySelectorAll('body > *, .shell > *'), function (el) {
      return el !== sidebar && !el.contains(sidebar) && el.tagName !== 'SCRIPT';
    });
  }

  function setNav(open) {
    document.body.classList.toggle('nav-open', open);
    document.querySelectorAll('.menu-toggle').forEach(function (b) {
      b.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
    pageBehind().forEach(function (el) { el.inert = open; });
    if (open) {
      var first = document.querySelector('.sidebar .nav a[aria-current="page"]') || document.querySelector('.sidebar .nav a');
      if (first) first.focus();
    }
  }

  function drawerLinks() {
    var sidebar = document.querySelector('.sidebar');
    return sidebar ? Array.prototype.filter.call(sidebar.querySelectorAll(CONTROLS), shown) : [];
  }

  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Tab' || !navOpen()) return;
    var links = drawerLinks();
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    var to = null;
    if (at < 0) {
      to = e.shiftKey ? links[links.length - 1] : links[0];
    } else if (e.shiftKey && at === 0) {
      to = links[links.length - 1];
    } else if (!e.shiftKey && at === links.length - 1) {
      to = links[0];
    }
    if (to) {
      e.preventDefault();
      to.focus();
    }
  });

  document.addEventListener('click', function (e) {
    var t = e.target instanceof Element ? e.target : null;
    if (!t) return;
    if (t.closest('.menu-toggle')) {
      setNav(!navOpen());
    } else if (navOpen() && (!t.closest('.sidebar') || t.closest('.sidebar a'))) {
      // Click on the backdrop, or a link was followed (hx-boost keeps <body>).
      setNav(false);
    }
  });

  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && navOpen()) {
      setNav(false);
      var toggle = document.querySelector('.menu-toggle');
      if (toggle) toggle.focus();
    }
  });

  /* ---- Toasts ---- */
  function toastRegion() {
    var region = document.getElementById('toasts');
    if (!region) {
      region = document.createElement('div');
      region.id = 'toasts';
      region.className = 'toasts';
      region.setAttribute('role', 'status');
      region.setAttribute('aria-live', 'polite');
      document.body.appendChild(region);
    }
    return region;
  }

  function dismiss(toast) {
    clearTimeout(toast._timer);
    toast.classList.add('toast-hide');
    setTimeout(function () { toast.remove(); }, 200);
  }

  function showToast(message, kind) {
    message = message == null ? '' : String(message).trim();
    if (!message) return;
    var toast = document.createElement('div');
    toast.className = 'toast' + (kind === 'success' || kind === 'error' ? ' toast-' + kind : '');
    var text = document.createElement('span');
    text.className = 'toast-message';
    text.textContent = message;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '\u00d7';
    toast.appendChild(text);
    toast.appendChild(close);

    var arm = function () {
      clearTimeout(toast._timer);
      toast._timer = setTimeout(function () { dismiss(toast); }, TOAST_MS);
    };
    toast.addEventListener('click', function () { dismiss(toast); });
    // Don't vanish while someone is reading or focused on it.
    var hold = function () { clearTimeout(toast._timer); };
    toast.addEventListener('mouseenter', hold);
    toast.addEventListener('focusin', hold);
    toast.addEventListener('mouseleave', arm);
    toast.addEventListener('focusout', arm);
    // A new toast replaces the one showing, so they never pile up over the page.
    var region = toastRegion();
    Array.prototype.forEach.call(region.querySelectorAll('.toast'), function (old) {
      clearTimeout(old._timer);
      old.remove();
    });
    region.appendChild(toast);
    arm();
  }

  // HX-Trigger: {"toast": {"message": "Saved", "kind": "success"}} puts the
  // object in event.detail; a bare string ({"toast": "Saved"}) arrives as
  // event.detail.value. The event bubbles from the requesting element, so
  // listening on document also catches events fired on <body>.
  document.addEventListener('toast', function (e) {
    var d = e.detail || {};
    if (d.value !== undefined && d.message === undefined) d = d.value;
    if (typeof d === 'string') d = { message: d };
    if (d) showToast(d.message, d.kind);
  });

  // Server-rendered flashes: <p class="flash flash-success" data-toast="success">Saved</p>
  // is shown as a toast instead (and stays a plain flash without JavaScript).
  function convertToasts(root) {
    if (!root || !root.querySelectorAll) return;
    var els = Array.prototype.slice.call(root.querySelectorAll('[data-toast]'));
    if (root.matches && root.matches('[data-toast]')) els.unshift(root);
    els.forEach(function (el) {
      showToast(el.textContent, el.getAttribute('data-toast'));
      el.remove();
    });
  }

  document.addEventListener('htmx:load', function (e) { convertToasts(e.target); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { convertToasts(document); });
  } else {
    convertToasts(document);
  }

  /* ---- Copy: <button data-copy="field-id" hidden>Copy</button> ---- */
  // The button is hidden in the HTML and shown here, so it appears only where it works.
  function showCopyButtons(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll('[data-copy]').forEach(function (b) { b.hidden = false; });
  }

  document.addEventListener('click', function (e) {
    var b = e.target instanceof Element ? e.target.closest('[data-copy]') : null;
    var field = b && document.getElementById(b.getAttribute('data-copy'));
    if (!field) return;
    field.focus();
    field.select();
    var copied = function () { showToast('Copied to the clipboard.', 'success'); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(copied, function () {
        showToast('Could not copy: select the text and copy it yourself.', 'error');
      });
    } else if (document.execCommand && document.execCommand('copy')) {
      copied();
    }
  });

  document.addEventListener('htmx:load', function (e) { showCopyButtons(e.target); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { showCopyButtons(document); });
  } else {
    showCopyButtons(document);
  }

  /* ---- Live messages beside fields: <div data-invalid-for="field-id"> ---- */
  // The server sends a field's message again as the form is typed (out of band); the
  // field's aria-invalid follows whether a message is there.
  function syncInvalid() {
    document.querySelectorAll('[data-invalid-for]').forEach(function (box) {
      var field = document.getElementById(box.getAttribute('data-invalid-for'));
      if (field) field.setAttribute('aria-invalid', box.querySelector('.field-error') ? 'true' : 'false');
    });
  }
  document.addEventListener('htmx:oobAfterSwap', syncInvalid);
  document.addEventListener('htmx:afterSwap', syncInvalid);

  /* ---- A refused form: the focus goes to what it says ---- */
  // A refused form comes back with its messages: one above the form (views.FormError,
  // [data-form-error]) and one beside each field (aria-invalid). The page may be scrolled far
  // below them, at the button that sent it, so the focus, and with it the view, moves to the
  // summary above the form or, without one, to the first field marked. A summary that only
  // says that fields below need correcting ([data-fields-marked]) lists them, each a link to
  // its field, and the focus goes to the first field marked: the correction is typed there,
  // and its label and message are read with it.
  function shown(el) { return el.getClientRects().length > 0; }

  function firstRefusal(root) {
    var summary = Array.prototype.find.call(root.querySelectorAll('[data-form-error]'), shown);
    var field = Array.prototype.find.call(root.querySelectorAll('[aria-invalid="true"]'), shown);
    if (summary && summary.hasAttribute('data-fields-marked')) {
      listMarkedFields(summary);
      return field || summary;
    }
    return summary || field;
  }

  // The name a marked field goes by in the summary: its label, after the legend of the line
  // it is on ("Line 2 · Quantity").
  function fieldName(field) {
    var label = field.labels && field.labels[0];
    var name = label ? label.textContent.trim().replace(/\s+/g, ' ') : (field.getAttribute('aria-label') || '');
    var legend = field.closest('fieldset') && field.closest('fieldset').querySelector('legend');
    var line = legend ? legend.textContent.trim().replace(/\s+/g, ' ') : '';
    return line && line !== name ? line + ' · ' + name : name;
  }

  // listMarkedFields adds to the summary a link to each message shown in its form, in the
  // form's order: to the field the message is about, or to the message where no field is
  // marked for it (a bill without lines).
  function listMarkedFields(summary) {
    var form = summary.closest('form') || document;
    var body = summary.querySelector('.form-error-body') || summary;
    var old = body.querySelector('.form-error-fields');
    if (old) old.remove();
    var list = document.createElement('ul');
    list.className = 'form-error-fields';
    form.querySelectorAll('.field-error[id]').forEach(function (msg) {
      if (!shown(msg)) return;
      var field = form.querySelector('[aria-invalid="true"][aria-describedby~="' + msg.id + '"]');
      var target = field && field.id ? field : msg;
      var text = msg.textContent.trim().replace(/\s+/g, ' ');
      var name = field ? fieldName(field) : '';
      var link = document.createElement('a');
      link.href = '#' + target.id;
      link.setAttribute('data-refusal-link', '');
      link.textContent = name ? name + ': ' + text : text;
      var item = document.createElement('li');
      item.appendChild(link);
      list.appendChild(item);
    });
    if (list.children.length) body.appendChild(list);
  }

  // A link of the summary puts the focus in its field (a plain link to it would only scroll).
  document.addEventListener('click', function (e) {
    var link = e.target instanceof Element ? e.target.closest('a[data-refusal-link]') : null;
    var target = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    e.preventDefault();
    if (!target.matches('input, select, textarea, button, [tabindex]')) target.setAttribute('tabindex', '-1');
    focusRefusal(target);
  });

  function focusRefusal(el) {
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'nearest' });
  }

  // htmx swapped in the form an answer 422 refused. Only a request the person sent (a submit,
  // a click) moves the focus: one sent as they type must not take it from where they type. A
  // field the form itself puts the focus in again (autofocus, as the password at sign-in)
  // keeps it.
  document.addEventListener('htmx:afterSettle', function (e) {
    var d = e.detail || {};
    var xhr = d.xhr;
    var trigger = d.requestConfig && d.requestConfig.triggeringEvent;
    if (!xhr || xhr.status !== 422 || xhr._refusalFocused || !trigger ||
        (trigger.type !== 'submit' && trigger.type !== 'click')) return;
    var root = e.target instanceof Element ? e.target : null;
    if (!root || !document.body.contains(root)) return;
    var active = document.activeElement;
    var el = active && active.hasAttribute('autofocus') && root.contains(active) ? active : firstRefusal(root);
    if (!el) return;
    xhr._refusalFocused = true;
    focusRefusal(el);
  });

  // A refused form loaded as a page (a form htmx does not send, or a browser without it),
  // unless the page puts the focus somewhere itself.
  function focusRefusalOnLoad() {
    if (document.querySelector('[autofocus]')) return;
    var el = firstRefusal(document);
    if (el) focusRefusal(el);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', focusRefusalOnLoad);
  } else {
    focusRefusalOnLoad();
  }

  /* ---- Where the focus goes when a swap takes it away ---- */
  // Pressing a control that htmx then swaps out with what surrounds it (a list's status tab, a
  // line's Remove, a step's buttons, Post comment, Mark read) leaves the focus on <body>, and
  // a keyboard or screen reader user back at the top of the page. The content swapped in says
  // where the focus goes instead: [data-swap-focus] on that element, or
  // [data-swap-focus="next"] on a row for the first control of the row after it (before it,
  // for the last row). Content that says nothing gives it to its first heading, or else to
  // its first control. A swap that leaves the focus where it was (typing in a filter, a field
  // htmx finds again by its id, a field the answer marks autofocus, a refused form's message)
  // does not move it.
  function focusLost() {
    var a = document.activeElement;
    return !a || a === document.body || a === document.documentElement;
  }

  function firstControl(root) {
    if (!root) return null;
    if (root.matches(CONTROLS) && shown(root)) return root;
    return Array.prototype.find.call(root.querySelectorAll(CONTROLS), shown) || null;
  }

  function focusTarget(el) {
    if (el.getAttribute('data-swap-focus') !== 'next') return el;
    for (var sib = el.nextElementSibling; sib; sib = sib.nextElementSibling) {
      var next = firstControl(sib);
      if (next) return next;
    }
    for (sib = el.previousElementSibling; sib; sib = sib.previousElementSibling) {
      var prev = firstControl(sib);
      if (prev) return prev;
    }
    return firstControl(el) || el;
  }

  function marked(root) {
    if (root.matches('[data-swap-focus]')) return root;
    return Array.prototype.find.call(root.querySelectorAll('[data-swap-focus]'), shown) || null;
  }

  function placeFocus(xhr) {
    var before = xhr._focusBefore;
    if (!focusLost() || !before || before === document.body || before.isConnected) return;
    var settled = xhr._settled.filter(function (el) { return el.isConnected; });
    var el = null;
    settled.some(function (root) { el = marked(root); return !!el; });
    if (el) {
      el = focusTarget(el);
    } else {
      var target = xhr._swapTarget;
      var root = target && (target.isConnected ? target : target.id && document.getElementById(target.id));
      root = root || settled[settled.length - 1];
      if (!root) return;
      el = Array.prototype.find.call(root.querySelectorAll('h1, h2, h3, h4, h5, h6'), shown) || firstControl(root) || root;
    }
    if (!el.matches(CONTROLS) && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'nearest' });
  }

  document.addEventListener('htmx:beforeSwap', function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (!xhr) return;
    xhr._focusBefore = document.activeElement;
    xhr._swapTarget = e.detail.target;
  });

  // htmx settles each element it swapped in (out-of-band ones too) one after another, in one
  // go: the focus is placed once they all have.
  document.addEventListener('htmx:afterSettle', function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (!xhr || !(e.target instanceof Element)) return;
    if (!xhr._settled) {
      xhr._settled = [];
      Promise.resolve().then(function () { placeFocus(xhr); });
    }
    xhr._settled.push(e.target);
  });

  /* ---- Live regions that htmx swaps: <p id="…" role="status" data-live> ---- */
  // A screen reader announces what changes inside a live region it already knows, not a new
  // one put in the place of the old: the results' count of a list, the live totals of a form
  // and the like come back in content htmx swaps out whole. The region in the page is kept
  // (the same element), and takes the content of the one swapped in only when it reads
  // differently, so a change is announced once, and a swap that changes nothing (more typing
  // in a description) announces nothing.
  var liveRegions = {};

  function noteLiveRegions() {
    liveRegions = {};
    document.querySelectorAll('[data-live][id]').forEach(function (el) { liveRegions[el.id] = el; });
  }

  function words(el) { return el.textContent.replace(/\s+/g, ' ').trim(); }

  function keepLiveRegions() {
    Object.keys(liveRegions).forEach(function (id) {
      var kept = liveRegions[id];
      var fresh = document.getElementById(id);
      if (kept.isConnected || !fresh || fresh === kept) return;
      // Its attributes stay its own: those of the one swapped in are, until it settles, partly
      // htmx's (htmx-added, and the old element's own copied while it settles).
      if (words(kept) !== words(fresh)) {
        kept.replaceChildren.apply(kept, Array.prototype.slice.call(fresh.childNodes));
      }
      fresh.replaceWith(kept);
    });
    noteLiveRegions();
  }
  document.addEventListener('htmx:oobAfterSwap', keepLiveRegions);
  document.addEventListener('htmx:afterSwap', keepLiveRegions);
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', noteLiveRegions);
  } else {
    noteLiveRegions();
  }

  /* ---- A flash that comes with the page is announced ---- */
  // The page's flash ("Draft saved.") sits in a polite status region (views.FlashBanner), but a
  // screen reader reads what is put into such a region, not what it held when the page came.
  // So once the page is there its words are put into the region, out of sight, and the flash
  // on the screen, unchanged, is hidden from screen readers, which would read it twice.
  // The wait is long enough for the region to be in the browser's accessibility tree first.
  var FLASH_DELAY_MS = 250;

  function announceFlash() {
    var region = document.getElementById('flash-status');
    var flash = region && region.querySelector('.flash');
    if (!flash) return;
    flash.setAttribute('aria-hidden', 'true');
    setTimeout(function () {
      var said = document.createElement('span');
      said.className = 'visually-hidden';
      said.textContent = flash.textContent.trim(); // with what restoreKept may have added
      region.appendChild(said);
    }, FLASH_DELAY_MS);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', announceFlash);
  } else {
    announceFlash();
  }

  /* ---- What was typed survives a sign-in ---- */
  // A form sent through htmx after the session ended (signed out in another tab, or idle too
  // long) is answered with the sign-in page, and one sent with the token of an older session
  // (signed in again in another tab) with the same page loaded again: an HX-Redirect marked
  // Outlay-Not-Saved, and the browser leaves the page with what was typed. Its text fields
  // are kept in this tab's sessionStorage with who typed them, and put back into the same
  // form when the same person is on the same page again within the hour; anyone else signing
  // in on this tab finds nothing.
  var KEPT = 'outlay:kept';
  var KEPT_MS = 60 * 60 * 1000;

  function formKey(form) {
    return form.getAttribute('hx-post') || form.getAttribute('action') || '';
  }

  function typedFields(form) {
    var out = {};
    var any = false;
    Array.prototype.forEach.call(form.elements, function (el) {
      var tag = el.tagName;
      var type = (el.getAttribute('type') || 'text').toLowerCase();
      if (!el.name || el.disabled || el.readOnly || el.name === '_csrf') return;
      if (tag !== 'TEXTAREA' && !(tag === 'INPUT' && ['text', 'search', 'number', 'date', 'email', 'url', 'tel'].indexOf(type) >= 0)) return;
      if (el.value === '' || el.value === el.defaultValue) return;
      out[el.name] = el.value;
      any = true;
    });
    return any ? out : null;
  }

  document.addEventListener('htmx:beforeOnLoad', function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (!xhr || !xhr.getResponseHeader('HX-Redirect') || xhr.getResponseHeader('Outlay-Not-Saved') !== 'true') return;
    var elt = e.detail.elt;
    var form = elt && (elt.tagName === 'FORM' ? elt : (elt.form || elt.closest('form')));
    var person = document.body.getAttribute('data-person');
    var fields = form && person && typedFields(form);
    if (!fields) return;
    try {
      sessionStorage.setItem(KEPT, JSON.stringify({
        person: person, page: location.pathname, form: formKey(form), at: Date.now(), fields: fields
      }));
    } catch (err) { /* storage full or refused: nothing kept */ }
  });

  function restoreKept() {
    var kept;
    try {
      kept = JSON.parse(sessionStorage.getItem(KEPT) || 'null');
    } catch (err) { kept = null; }
    var person = document.body.getAttribute('data-person');
    if (!kept || !person) return; // not signed in yet (the sign-in page): keep it for later
    sessionStorage.removeItem(KEPT);
    if (kept.person !== person || kept.page !== location.pathname || !(Date.now() - kept.at < KEPT_MS)) return;
    var form = Array.prototype.find.call(document.querySelectorAll('form'), function (f) {
      return formKey(f) === kept.form;
    });
    if (!form) return;
    var restored = false;
    Object.keys(kept.fields).forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (!el || el.length !== undefined || (el.value !== '' && el.value !== el.defaultValue)) return;
      el.value = kept.fields[name];
      restored = true;
    });
    if (!restored) return;
    // The page's flash, when it has one, says why; this adds what became of the text.
    var flash = document.querySelector('#toasts .toast-message') ||
      document.querySelector('.flash-warning:not(.standing-notice)');
    if (flash) {
      flash.appendChild(document.createTextNode(' What you typed is back in the form.'));
    } else {
      showToast('What you typed before you were signed out is back in the form. Check it, then send it again.');
    }
    var first = Array.prototype.find.call(form.elements, function (el) { return kept.fields[el.name] !== undefined; });
    if (first) first.focus();
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', restoreKept);
  } else {
    restoreKept();
  }

  /* ---- Acting on ticked rows: <form data-ticks="step"> ---- */
  // The form's submit buttons are disabled until a box of that name (in the form, or joined to
  // it with form="…") is ticked. A box [data-tick-all] in the form, hidden in the HTML and
  // shown here, ticks or unticks them all and shows whether all, some or none are;
  // [data-ticks-count] says how many are ticked (its data-none and data-some, with {n} and
  // {s}). Rows come and go with htmx (a decision swaps its row, a filter or the approval of
  // the ticked ones the whole list), so every swap counts again. Without JavaScript the
  // buttons stay enabled, and the server says to tick some first.
  function tickBoxes(form) {
    var name = form.getAttribute('data-ticks');
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name === name && el.type === 'checkbox' && !el.disabled;
    });
  }

  function syncTicks(form) {
    var boxes = tickBoxes(form);
    var n = boxes.filter(function (b) { return b.checked; }).length;
    form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = n === 0; });
    var all = form.querySelector('[data-tick-all]');
    if (all) {
      (all.closest('label') || all).hidden = boxes.length === 0;
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    var count = form.querySelector('[data-ticks-count]');
    if (count) {
      var text = n === 0 ? count.getAttribute('data-none') :
        count.getAttribute('data-some').replace('{n}', String(n)).replace('{s}', n === 1 ? '' : 's');
      if (count.textContent !== text) count.textContent = text;
    }
  }

  function syncAllTicks() {
    document.querySelectorAll('form[data-ticks]').forEach(syncTicks);
  }

  document.addEventListener('change', function (e) {
    var box = e.target;
    if (!(box instanceof HTMLInputElement) || box.type !== 'checkbox' || !box.form || !box.form.hasAttribute('data-ticks')) return;
    if (box.hasAttribute('data-tick-all')) {
      tickBoxes(box.form).forEach(function (b) { b.checked = box.checked; });
    }
    syncTicks(box.form);
  });
  document.addEventListener('htmx:load', syncAllTicks);
  document.addEventListener('htmx:afterSettle', syncAllTicks);
  // Back and forward bring a page back with the boxes as they were left.
  window.addEventListener('pageshow', syncAllTicks);
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', syncAllTicks);
  } else {
    syncAllTicks();
  }

  /* ---- Confirmation: <form data-confirm="Delete this expense?"> ---- */
  // Capture phase on document runs before htmx's own submit listener on the
  // form, so a refusal stops both normal and htmx submissions.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var submitter = e.submitter;
    if (form._confirmed) return; // asked already (askWhenValid)
    var q = (submitter && submitter.getAttribute('data-confirm')) ||
      (form.getAttribute && form.getAttribute('data-confirm'));
    var check = submitter && submitter.getAttribute('data-confirm-check');
    // <form data-confirm="Approve {n} ticked request{s}?" data-confirm-count="step">: the
    // question counts the ticked boxes of that name; with none ticked nothing is asked, and
    // the server says to tick some.
    var countName = form.getAttribute && form.getAttribute('data-confirm-count');
    if (q && countName) {
      var n = 0;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name === countName && el.checked) n++;
      });
      q = n === 0 ? null : q.replace('{n}', String(n)).replace('{s}', n === 1 ? '' : 's');
    }
    if (q && check) {
      // Ask only once the server says the form would be accepted; a form it would refuse
      // is sent at once, so its messages show beside the fields without a question first.
      e.preventDefault();
      e.stopImmediatePropagation();
      askWhenValid(form, submitter, q, check);
    } else if (q && !window.confirm(q)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  function askWhenValid(form, submitter, question, check) {
    var body = new URLSearchParams(new FormData(form));
    if (submitter.name) body.set(submitter.name, submitter.value);
    var meta = document.querySelector('meta[name="csrf-token"]');
    var headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (meta) headers['X-Csrf-Token'] = meta.getAttribute('content');
    fetch(check, { method: 'POST', body: body.toString(), headers: headers, credentials: 'same-origin' })
      .then(function (res) { return res.status; }, function () { return 0; })
      .then(function (status) {
        // 204: it would be accepted, so ask; 422: send it to be refused with its messages;
        // anything else (offline, an error): ask, as without the check.
        if (status !== 422 && !window.confirm(question)) return;
        form._confirmed = true;
        // A click again, so that htmx sends the button's name and value as it does for any
        // click on it.
        submitter.click();
        form._confirmed = false;
      });
  }

  // Non-submit htmx triggers, e.g. <button hx-delete="…" data-confirm="…">.
  document.addEventListener('htmx:confirm', function (e) {
    var d = e.detail;
    if (d.triggeringEvent && d.triggeringEvent.type === 'submit') return; // asked above
    var elt = d.elt;
    var q = elt.getAttribute('data-confirm') ||
      (elt.form && elt.type === 'submit' ? elt.form.getAttribute('data-confirm') : null);
    if (!q) return;
    e.preventDefault();
    if (window.confirm(q)) d.issueRequest(true);
  });
}());

/* ---- Purchasing: the print page's Print button (<button data-print>) ---- */
document.addEventListener('click', function (e) {
  var t = e.target instanceof Element ? e.target.closest('[data-print]') : null;
  if (t) window.print();
});

/* ---- Lookup fields: <div data-lookup> (views.LookupField) ----
 * A text input (role=combobox) whose typing fetches matches into its listbox (htmx), and a
 * hidden input carrying the chosen id (and another the text shown for it, which the server
 * compares with the text posted). Arrow keys move through the matches, Enter picks,
 * Escape closes the list. Picking or clearing sends `input` and `change` from the hidden
 * input, so filters and live totals follow the choice; the typing itself does not reach the
 * form (it would refresh a filter on every letter). */
(function () {
  'use strict';

  function parts(box) {
    return {
      input: box.querySelector('[role="combobox"]'),
      value: box.querySelector('[data-lookup-value]'),
      shown: box.querySelector('[data-lookup-shown]'),
      list: box.querySelector('[role="listbox"]')
    };
  }

  function options(p) {
    return Array.prototype.slice.call(p.list.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }

  function setOpen(p, open) {
    p.list.hidden = !open;
    p.input.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (!open) setActive(p, null);
  }

  function setActive(p, opt) {
    p.list.querySelectorAll('[role="option"]').forEach(function (o) {
      o.setAttribute('aria-selected', o === opt ? 'true' : 'false');
      o.classList.toggle('is-active', o === opt);
    });
    if (opt) {
      p.input.setAttribute('aria-activedescendant', opt.id);
      if (opt.scrollIntoView) opt.scrollIntoView({ block: 'nearest' });
    } else {
      p.input.removeAttribute('aria-activedescendant');
    }
  }

  function announce(el) {
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function choose(p, value, label) {
    var changed = p.value.value !== value;
    p.value.value = value;
    if (p.shown) p.shown.value = label;
    p.input.value = label;
    p.input.setAttribute('data-chosen', label);
    setOpen(p, false);
    if (changed) announce(p.value);
  }

  // The match the typed text names when none is marked: the one whose name it is, in any
  // case and spacing, or the only match of the text as it is now (orAlone; a list still
  // answering earlier text, typing having gone on, offers nothing). A name two matches
  // share names neither; the server then asks which.
  function named(p, orAlone) {
    var fold = function (t) { return (t || '').trim().replace(/\s+/g, ' ').toLowerCase(); };
    var text = fold(p.input.value);
    var opts = options(p);
    var same = opts.filter(function (o) { return fold(o.getAttribute('data-label')) === text; });
    if (same.length === 1) return same[0];
    if (orAlone && same.length === 0 && opts.length === 1 && fold(opts[0].getAttribute('data-query')) === text) return opts[0];
    return null;
  }

  function move(p, step) {
    var opts = options(p);
    if (!opts.length) return;
    var current = opts.indexOf(p.list.querySelector('.is-active'));
    var next = current < 0 ? (step > 0 ? 0 : opts.length - 1) : (current + step + opts.length) % opts.length;
    setActive(p, opts[next]);
  }

  function bind(box) {
    if (box._lookup) return;
    box._lookup = true;
    var p = parts(box);
    if (!p.input || !p.value || !p.list) return;
    p.input.setAttribute('data-chosen', p.input.value);

    // Typing changes the search, not the form: the chosen id is dropped once the text no
    // longer names it, and the form hears of that alone.
    box.addEventListener('input', function (e) {
      if (e.target !== p.input) return;
      e.stopPropagation();
      if (p.input.value !== p.input.getAttribute('data-chosen') && p.value.value !== '') {
        p.value.value = '';
        if (p.shown) p.shown.value = '';
        announce(p.value);
      }
      if (p.input.value.trim() === '') p.input.setAttribute('data-chosen', '');
    });
    box.addEventListener('change', function (e) {
      if (e.target === p.input) e.stopPropagation();
    });

    p.input.addEventListener('keydown', function (e) {
      var open = !p.list.hidden;
      switch (e.key) {
        case 'ArrowDown':
        case 'ArrowUp':
          e.preventDefault();
          if (!open) {
            if (p.list.children.length) {
              setOpen(p, true);
            } else {
              p.input.dispatchEvent(new Event('lookup:open'));
              return;
            }
          }
          move(p, e.key === 'ArrowDown' ? 1 : -1);
          break;
        case 'Enter':
          var active = open && (p.list.querySelector('.is-active') || named(p, true));
          p.tookEnter = open;
          if (active) {
            e.preventDefault();
            choose(p, active.getAttribute('data-value'), active.getAttribute('data-label'));
          } else if (open) {
            e.preventDefault();
            setOpen(p, false);
          }
          break;
        case 'Escape':
          if (open) {
            e.preventDefault();
            e.stopPropagation();
            setOpen(p, false);
          }
          break;
        case 'Tab':
          setOpen(p, false);
          break;
      }
    });

    // An Enter that picked or closed the list does not also submit the form (the form's
    // implicit submission comes with the keypress, which not every input method withholds).
    p.input.addEventListener('keypress', function (e) {
      if (e.key === 'Enter' && p.tookEnter) e.preventDefault();
    });
    p.input.addEventListener('keyup', function (e) {
      if (e.key === 'Enter') p.tookEnter = false;
    });

    // A click picks; mousedown keeps the focus in the input so the list is not closed first.
    p.list.addEventListener('mousedown', function (e) { e.preventDefault(); });
    p.list.addEventListener('click', function (e) {
      var opt = e.target instanceof Element ? e.target.closest('[role="option"]') : null;
      if (opt && opt.getAttribute('aria-disabled') !== 'true') {
        choose(p, opt.getAttribute('data-value'), opt.getAttribute('data-label'));
      }
    });
    // Leaving a field whose text is a match's name in full picks that match, so that what
    // follows the choice (a currency, the totals) follows it as though it had been picked.
    p.input.addEventListener('blur', function () {
      var match = p.value.value === '' && p.input.value.trim() !== '' && named(p, false);
      if (match) choose(p, match.getAttribute('data-value'), match.getAttribute('data-label'));
      setOpen(p, false);
    });

    // New matches open the list, with none marked yet.
    box.addEventListener('htmx:afterSwap', function (e) {
      if (e.detail && e.detail.target === p.list) setOpen(p, document.activeElement === p.input);
    });
  }

  function bindAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches('[data-lookup]')) bind(root);
    root.querySelectorAll('[data-lookup]').forEach(bind);
  }

  document.addEventListener('htmx:load', function (e) { bindAll(e.target); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { bindAll(document); });
  } else {
    bindAll(document);
  }
}());
