// The report's only script: it filters, sorts and expands the findings
// table, reads the filter from the URL fragment, and records whether it ran
// (and every error or blocked fetch) in #report-state and #report-errors, so
// a test in a headless browser can see both in the DOM.
(function () {
  'use strict';
  var state = document.getElementById('report-state');
  var errors = document.getElementById('report-errors');
  function fail(msg) {
    var li = document.createElement('li');
    li.textContent = String(msg);
    errors.appendChild(li);
    state.setAttribute('data-errors', String(errors.children.length));
  }
  window.addEventListener('error', function (e) { fail('script error: ' + e.message); });
  document.addEventListener('securitypolicyviolation', function (e) {
    fail('blocked by the content security policy: ' + e.effectiveDirective + ' ' + e.blockedURI);
  });

  var table = document.getElementById('findings-table');
  var bodies = Array.prototype.slice.call(table.tBodies);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var ctl = {
    q: document.getElementById('f-q'),
    status: document.getElementById('f-status'),
    decision: document.getElementById('f-decision'),
    account: document.getElementById('f-account')
  };
  var shownText = document.getElementById('f-shown');
  var sortKey = '', sortDir = 'asc';
  // What the text filter searches: the row as shown, and the user's IDs
  // the row does not show (data-text).
  var texts = bodies.map(function (b) {
    return ((b.getAttribute('data-text') || '') + ' ' + b.rows[0].textContent).toLowerCase();
  });

  function setExpanded(body, open) {
    var ev = body.rows[1], button = body.querySelector('button.toggle');
    if (ev) { ev.hidden = !open; }
    if (button) { button.setAttribute('aria-expanded', open ? 'true' : 'false'); }
  }

  function filter() {
    var q = ctl.q.value.trim().toLowerCase();
    var s = ctl.status.value, d = ctl.decision.value, a = ctl.account.value;
    var shown = 0;
    for (var i = 0; i < bodies.length; i++) {
      var b = bodies[i];
      var ok = (!s || b.getAttribute('data-status') === s) &&
        (!d || b.getAttribute('data-decision') === d) &&
        (!a || b.getAttribute('data-account') === a) &&
        (!q || texts[i].indexOf(q) >= 0);
      b.hidden = !ok;
      if (ok) { shown++; }
    }
    state.setAttribute('data-shown', String(shown));
    shownText.textContent = shown + ' of ' + bodies.length + ' users shown';
  }

  // A cell's sort key is its text, or its data-k where the text is not the
  // value (an unknown number is shown as "unknown" and sorts last).
  function keyOf(body, col, num) {
    var cell = body.rows[0].cells[col];
    var v = cell.hasAttribute('data-k') ? cell.getAttribute('data-k') : cell.textContent;
    if (!num) { return v; }
    return v === '' ? null : Number(v);
  }

  function sort(key, dir) {
    var col = -1;
    for (var i = 0; i < heads.length; i++) {
      var k = heads[i].getAttribute('data-key');
      if (k) { heads[i].removeAttribute('aria-sort'); }
      if (k === key) { col = i; }
    }
    if (col < 0) { return; }
    var num = heads[col].hasAttribute('data-num');
    var sign = dir === 'desc' ? -1 : 1;
    var rows = bodies.map(function (b, i) { return { b: b, i: i, k: keyOf(b, col, num) }; });
    rows.sort(function (x, y) {
      // Unknown values sort last either way; ties keep the report's order.
      if (x.k === null || y.k === null) {
        return (x.k === null) - (y.k === null) || x.i - y.i;
      }
      var c = num ? x.k - y.k : x.k.localeCompare(y.k);
      return c * sign || x.i - y.i;
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r.b); });
    table.appendChild(frag);
    heads[col].setAttribute('aria-sort', dir === 'desc' ? 'descending' : 'ascending');
    sortKey = key;
    sortDir = dir;
  }

  function params() {
    var h = location.hash.slice(1);
    // A plain anchor (#findings) is not a filter.
    return new URLSearchParams(h.indexOf('=') >= 0 ? h : '');
  }

  function fromHash() {
    var p = params();
    ['q', 'status', 'decision', 'account'].forEach(function (k) { ctl[k].value = p.get(k) || ''; });
    filter();
    if (p.get('sort')) { sort(p.get('sort'), p.get('dir') === 'desc' ? 'desc' : 'asc'); }
  }

  function toHash() {
    var p = new URLSearchParams();
    ['q', 'status', 'decision', 'account'].forEach(function (k) { if (ctl[k].value) { p.set(k, ctl[k].value); } });
    if (sortKey) { p.set('sort', sortKey); p.set('dir', sortDir); }
    var h = p.toString();
    // replaceState keeps the link shareable without a history entry per keystroke.
    history.replaceState(null, '', h ? '#' + h : location.pathname + location.search);
  }

  try {
    bodies.forEach(function (b) {
      setExpanded(b, false);
      var button = b.querySelector('button.toggle');
      if (button) {
        button.addEventListener('click', function () { setExpanded(b, button.getAttribute('aria-expanded') !== 'true'); });
      }
    });
    heads.forEach(function (h) {
      var key = h.getAttribute('data-key');
      var button = h.querySelector('button.sort');
      if (!key || !button) { return; }
      button.addEventListener('click', function () {
        sort(key, sortKey === key && sortDir === 'asc' ? 'desc' : 'asc');
        toHash();
      });
    });
    ['q', 'status', 'decision', 'account'].forEach(function (k) {
      ctl[k].addEventListener('input', function () { filter(); toHash(); });
    });
    document.getElementById('filters').addEventListener('submit', function (e) { e.preventDefault(); });
    window.addEventListener('hashchange', fromHash);
    fromHash();
    state.setAttribute('data-ready', '1');
  } catch (e) {
    fail('script error: ' + (e && e.stack ? e.stack : e));
  }
})();
