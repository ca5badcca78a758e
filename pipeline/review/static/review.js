/* vnevents review: selection offsets and decisions (no framework, no build step). */
(function () {
  'use strict';
  var dataEl = document.getElementById('article-data');
  if (!dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var textEl = document.getElementById('text');
  var msg = document.getElementById('msg');
  var lastSel = null;

  /* Offsets are code points, as Python counts them; JS strings count UTF-16 units. */
  function cpLen(s) { return Array.from(s).length; }

  /* The selection as [start, end) code-point offsets into the stored text.
     The text element holds the article text and nothing else (labels are CSS),
     so the text before the selection's start is exactly text[0:start]. */
  function selectionOffsets() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var r = sel.getRangeAt(0);
    if (!textEl.contains(r.startContainer) || !textEl.contains(r.endContainer)) { return null; }
    var pre = document.createRange();
    pre.selectNodeContents(textEl);
    pre.setEnd(r.startContainer, r.startOffset);
    var before = pre.toString();
    var inside = r.toString();
    var lead = inside.length - inside.replace(/^\s+/, '').length;
    var trail = inside.length - inside.replace(/\s+$/, '').length;
    var start = cpLen(before) + lead;
    var end = cpLen(before) + cpLen(inside) - trail;
    if (end <= start) { return null; }
    return { start: start, end: end, text: inside.trim() };
  }
  window.vneventsSelectionOffsets = selectionOffsets;

  function show(text, ok) {
    msg.textContent = text;
    msg.className = ok ? 'msg ok' : 'msg';
    msg.hidden = false;
    if (ok) { setTimeout(function () { msg.hidden = true; }, 2500); }
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (j) {
        if (!resp.ok) { throw new Error(j.error || resp.statusText); }
        return j;
      });
    });
  }
  function reload() { window.location.reload(); }
  function fail(err) { show('Not saved: ' + err.message, false); }

  /* Add panel follows the selection. */
  var addForm = document.getElementById('add-form');
  var selInfo = document.getElementById('sel-info');
  var addButton = document.getElementById('add-button');
  document.addEventListener('selectionchange', function () {
    var o = selectionOffsets();
    if (!o) { return; }
    lastSel = o;
    addForm.elements.start.value = String(o.start);
    addForm.elements.end.value = String(o.end);
    addForm.elements.value.value = o.text;
    selInfo.textContent = '“' + o.text + '” (' + o.start + '–' + o.end + ')';
    addButton.disabled = false;
  });

  function toggleTypeFields(form) {
    var t = form.elements.type.value;
    Array.prototype.forEach.call(form.querySelectorAll('.only-DATE, .only-DOCREF'), function (el) {
      el.hidden = !el.classList.contains('only-' + t);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form.mention-form'), function (form) {
    toggleTypeFields(form);
    form.elements.type.addEventListener('change', function () { toggleTypeFields(form); });
    var use = form.querySelector('.use-sel');
    if (use) {
      use.addEventListener('click', function () {
        if (!lastSel) { show('Select text in the article first.', false); return; }
        form.elements.start.value = String(lastSel.start);
        form.elements.end.value = String(lastSel.end);
      });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var f = form.elements;
      post(data.api, {
        article_id: data.article_id, kind: 'mention', key: form.getAttribute('data-key'),
        action: form.getAttribute('data-action'),
        mention: { start: parseInt(f.start.value, 10), end: parseInt(f.end.value, 10), type: f.type.value,
                   value: f.value.value, mod: f.mod.value || null, doc_type: f.doc_type.value || null }
      }).then(reload, fail);
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll('form.event-form'), function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var f = form.elements;
      function many(name) { return Array.prototype.map.call(f[name].selectedOptions, function (o) { return o.value; }); }
      post(data.api, {
        article_id: data.article_id, kind: 'event', key: form.getAttribute('data-key'), action: 'correct',
        event: { type: f.type.value, date: f.date.value || null, institutions: many('institutions'),
                 documents: many('documents'), percents: many('percents') }
      }).then(reload, fail);
    });
  });

  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('button.act');
    if (btn) {
      var item = btn.closest('li.item');
      post(data.api, { article_id: data.article_id, kind: item.getAttribute('data-kind'),
                       key: item.getAttribute('data-key'), action: btn.getAttribute('data-action') })
        .then(reload, fail);
      return;
    }
    var mark = ev.target.closest('#text mark.m');
    if (mark && window.getSelection().isCollapsed) {
      var li = document.getElementById('m-' + mark.getAttribute('data-key'));
      Array.prototype.forEach.call(document.querySelectorAll('.focus'), function (el) { el.classList.remove('focus'); });
      if (li) { li.classList.add('focus'); li.scrollIntoView({ block: 'center' }); }
      return;
    }
    var listMark = ev.target.closest('#mention-list mark.m');
    if (listMark) {
      var key = listMark.closest('li.item').getAttribute('data-key');
      var inText = textEl.querySelector('mark.m[data-key="' + CSS.escape(key) + '"]');
      Array.prototype.forEach.call(document.querySelectorAll('.focus'), function (el) { el.classList.remove('focus'); });
      if (inText) { inText.classList.add('focus'); inText.scrollIntoView({ block: 'center' }); }
    }
  });

  var rest = document.getElementById('accept-rest');
  if (rest) {
    rest.addEventListener('click', function () {
      post(data.api_rest, { article_id: data.article_id }).then(reload, fail);
    });
  }
}());
