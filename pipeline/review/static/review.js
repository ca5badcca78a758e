/* vnevents review: selection offsets, decisions updated in place, editors, keyboard (no framework, no build step). */
(function () {
  'use strict';
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const msg = $('#msg');

  function show(text, ok) {
    if (!msg) { return; }
    msg.textContent = text;
    msg.className = ok ? 'msg ok' : 'msg';
    msg.hidden = false;
    clearTimeout(show.timer);
    show.timer = setTimeout(() => { msg.hidden = true; }, ok ? 2500 : 6000);
  }
  function fail(err) { show('Not saved: ' + err.message, false); }

  function request(url, opts) {
    return fetch(url, Object.assign({ credentials: 'same-origin' }, opts)).then((resp) =>
      resp.json().catch(() => ({})).then((j) => {
        if (!resp.ok) { throw new Error(j.error || resp.statusText); }
        return j;
      }));
  }
  function post(url, body) {
    return request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }
  function get(url, params) { return request(url + '?' + new URLSearchParams(params).toString()); }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  /* Reviewer name (every page). */
  const rf = $('#reviewer-form');
  if (rf) {
    rf.addEventListener('submit', (ev) => {
      ev.preventDefault();
      post(rf.getAttribute('data-api'), { name: rf.elements.name.value })
        .then(() => window.location.reload(), fail);
    });
  }

  /* Article list: "/" focuses the search. */
  const search = $('#article-search');
  if (search) {
    document.addEventListener('keydown', (ev) => {
      if (ev.key === '/' && !typing(ev.target)) { ev.preventDefault(); search.focus(); }
    });
  }

  initCanonical();

  const dataEl = $('#article-data');
  if (!dataEl) { return; }
  const data = JSON.parse(dataEl.textContent);
  const textEl = $('#text');
  let lastSel = null;
  let focused = null;           // {kind, key}

  /* Offsets are code points, as Python counts them; JS strings count UTF-16 units. */
  function cpLen(s) { return Array.from(s).length; }

  /* The selection as [start, end) code-point offsets into the stored text.
     The text element holds text[offset:end] and nothing else (labels are CSS),
     so the text before the selection's start is exactly text[offset:start]. */
  function selectionOffsets() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    const r = sel.getRangeAt(0);
    if (!textEl.contains(r.startContainer) || !textEl.contains(r.endContainer)) { return null; }
    const pre = document.createRange();
    pre.selectNodeContents(textEl);
    pre.setEnd(r.startContainer, r.startOffset);
    const before = pre.toString();
    const inside = r.toString();
    const lead = inside.length - inside.replace(/^\s+/, '').length;
    const trail = inside.length - inside.replace(/\s+$/, '').length;
    const start = data.offset + cpLen(before) + cpLen(inside.slice(0, lead));
    const end = data.offset + cpLen(before) + cpLen(inside) - cpLen(inside.slice(inside.length - trail));
    if (end <= start) { return null; }
    return { start: start, end: end, text: inside.trim() };
  }
  window.vneventsSelectionOffsets = selectionOffsets;

  /* ------------------------------------------------------------ items and focus */

  function items() { return $$('#mention-list > li.item, #event-list > li.item'); }
  function itemEl(kind, key) {
    return document.getElementById((kind === 'event' ? 'e-' : 'm-') + key);
  }
  function markOf(kind, key) {
    return kind === 'event' ? textEl.querySelector('mark.tg[data-ekey="' + CSS.escape(key) + '"]')
      : textEl.querySelector('mark.m[data-key="' + CSS.escape(key) + '"]');
  }
  /* Scroll an element into view inside its own column only (never the window: a click stays where it was). */
  function reveal(el, center) {
    const box = el && el.closest('.side, .textcol');
    if (!box) { return; }
    const r = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    if (center || r.top < b.top || r.bottom > b.bottom) {
      box.scrollTop += (r.top - b.top) - (center ? (b.height - r.height) / 2 : Math.min(40, b.height / 4));
    }
  }
  function clearFocus() { $$('.focus').forEach((el) => el.classList.remove('focus')); }
  function focusItem(li, scrollText) {
    if (!li) { return; }
    clearFocus();
    const kind = li.getAttribute('data-kind');
    const key = li.getAttribute('data-key');
    focused = { kind: kind, key: key };
    li.classList.add('focus');
    reveal(li, false);
    const mark = markOf(kind, key);
    if (mark) {
      mark.classList.add('focus');
      if (scrollText !== false) { reveal(mark, false); }
    }
  }
  function focusedEl() { return focused ? itemEl(focused.kind, focused.key) : null; }
  function step(delta) {
    const all = items();
    const cur = focusedEl();
    let i = cur ? all.indexOf(cur) + delta : (delta > 0 ? 0 : all.length - 1);
    if (i >= all.length) {
      if (data.next_section) { window.location.href = data.next_section + '#first'; }
      return;
    }
    if (i < 0) {
      if (data.prev_section) { window.location.href = data.prev_section + '#last'; }
      return;
    }
    focusItem(all[i]);
  }

  /* ------------------------------------------------------------ applying an answer in place */

  /* An item's new state without new HTML (bulk answers): classes, the state word, the Reset button. */
  function setState(id, state) {
    const li = document.getElementById(id);
    if (!li) { return; }
    const cls = (el) => {
      el.className = el.className.replace(/\bst-\w+/, 'st-' + state);
    };
    cls(li);
    const word = $('.line .state', li);
    if (word) { word.textContent = state; }
    const buttons = $('.buttons', li);
    const reset = $('[data-action="reset"]', li);
    if (state === 'pending' && reset) { reset.remove(); }
    if (state !== 'pending' && !reset && buttons && $('[data-action="accept"]', li)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'act';
      b.setAttribute('data-action', 'reset');
      b.textContent = 'Reset';
      $('.edit', buttons).before(b, ' ');
    }
    const mark = markOf(li.getAttribute('data-kind'), li.getAttribute('data-key'));
    if (mark) {
      cls(mark);
      mark.title = mark.title.replace(/ · \w+$/, ' · ' + state);
    }
  }
  function place(it) {
    const old = document.getElementById(it.id);
    if (old) { old.remove(); }
    const list = document.getElementById(it.list);
    const next = it.before ? document.getElementById(it.before) : null;
    const tmp = document.createElement('template');
    tmp.innerHTML = it.html;
    list.insertBefore(tmp.content, next && next.parentNode === list ? next : null);
  }
  function apply(resp) {
    const h = resp.html || {};
    if ('offset' in resp) { data.offset = resp.offset; data.end = resp.end; }
    if ('text' in h) { textEl.innerHTML = h.text; }
    if ('mentions' in h) { $('#mention-list').innerHTML = h.mentions; }
    if ('events' in h) { $('#event-list').innerHTML = h.events; }
    if ('status' in h) { $('#status-box').innerHTML = h.status; }
    if ('stale' in h) { $('#stale-box').innerHTML = h.stale; }
    (resp.remove || []).forEach((id) => {
      const el = document.getElementById(id);
      if (el) { el.remove(); }
    });
    (resp.items || []).forEach((it) => {
      if (it.list) { place(it); return; }
      const el = document.getElementById(it.id);
      if (el) { el.outerHTML = it.html; }
    });
    Object.entries(resp.states || {}).forEach(([id, state]) => setState(id, state));
    (resp.marks || []).forEach((m) => {
      const mark = markOf(m.kind, m.key);
      if (mark) {
        mark.className = m['class'];
        mark.title = m.title;
      }
    });
    if (focused) {
      const li = focusedEl();
      if (li) { focusItem(li, false); } else { focused = null; }
    }
  }
  /* Changes go out one at a time, in the order they were made (keys pressed faster than the server answers
     still apply to the items they were meant for). */
  let queue = Promise.resolve();
  function send(url, body) {
    body.article_id = data.article_id;
    body.section = data.section;
    const p = queue.then(() => post(url, body)).then((resp) => { apply(resp); return resp; });
    queue = p.catch(() => null);
    return p;
  }
  function decide(li, action, advance) {
    const kind = li.getAttribute('data-kind');
    const key = li.getAttribute('data-key');
    if (advance) {  // the focus moves on at once; the answer updates the item in place later
      const all = items();
      const i = all.indexOf(li) + 1;
      if (i < all.length) { focusItem(all[i]); }
    }
    return send(data.api, { kind: kind, key: key, action: action }).catch(fail);
  }

  /* ------------------------------------------------------------ guessing a new mention from the selection */

  const DOC_WORDS = /^(Quyết định|Nghị định|Nghị quyết|Thông tư|Chỉ thị|Luật|Kế hoạch|Công văn|Văn bản|Quy định|Chương trình|Đề án|Pháp lệnh|Thông báo|Tờ trình)(\s|$)/i;
  const BODY_WORDS = /^(Bộ|Sở|Ủy ban|Uỷ ban|UBND|HĐND|Cục|Tổng cục|Viện|Trung tâm|Hội|Ban|Văn phòng|Chính phủ|Quốc hội|Tập đoàn|Tổng công ty|Công ty|Đại học|Trường|Học viện|Vụ|Thanh tra|Tỉnh ủy|Thành ủy|Tỉnh uỷ|Thành uỷ|Hội đồng|Ngân hàng|Kho bạc|Tòa án|Viện kiểm sát|Liên minh|Tổ chức|Hiệp hội)(\s|$)/;
  const DATE_WORDS = /(^|\s)(ngày|tháng|năm|quý|giai đoạn|đầu|cuối|giữa)(\s|$)/i;

  function guessType(t, before) {
    if (/%|phần trăm/i.test(t)) { return 'PERCENT'; }
    if (DOC_WORDS.test(t) || /\d+\/\d*\s*[A-ZĐ]{2,}/.test(t) || /(^|\s)số\s*$/i.test(before)) { return 'DOCREF'; }
    if (DATE_WORDS.test(t) || /^\d{1,2}\/\d{1,2}(\/\d{2,4})?$/.test(t) || /^(19|20)\d\d$/.test(t)
        || /(^|\s)(ngày|tháng|năm)\s*$/i.test(before)) { return 'DATE'; }
    if (/^[\d.,]+(\s*[-–]\s*[\d.,]+)?\s+\S/.test(t)) { return 'QUANTITY'; }
    if (BODY_WORDS.test(t) || /^[A-ZĐ&]{2,}(\s|$)/.test(t)) { return 'INSTITUTION'; }
    if (/^\p{Lu}/u.test(t)) { return 'INSTITUTION'; }
    return 'DATE';
  }
  function pad(n) { return String(n).padStart(2, '0'); }
  function guessValue(type, t) {
    let m;
    if (type === 'DATE') {
      if ((m = t.match(/(\d{1,2})\/(\d{1,2})\/(\d{4})/))) { return m[3] + '-' + pad(m[2]) + '-' + pad(m[1]); }
      if ((m = t.match(/tháng\s*(\d{1,2})\s*[/-]\s*(\d{4})/i)) || (m = t.match(/tháng\s*(\d{1,2})\s+năm\s+(\d{4})/i))) {
        return m[2] + '-' + pad(m[1]);
      }
      if ((m = t.match(/(\d{4})\s*[-–]\s*(\d{4})/))) { return m[1] + '/' + m[2]; }
      if ((m = t.match(/(19|20)\d\d/))) { return m[0]; }
      return t;
    }
    if (type === 'PERCENT') {
      const nums = (t.match(/\d+(?:[.,]\d+)?/g) || []).map((x) => x.replace(',', '.'));
      return nums.length > 1 ? nums[0] + '-' + nums[1] : (nums[0] || t);
    }
    if (type === 'DOCREF') {
      if ((m = t.match(/\d[\w.]*(?:\s*\/\s*\d{2,4})?(?:\s*[/-]\s*[\wĐđƯư&]+)+/))) { return m[0].replace(/\s+/g, ''); }
      if ((m = t.match(/\d+/))) { return m[0]; }
      return t;
    }
    return t;
  }

  window.vneventsGuess = (text, before) => {
    const type = guessType(text, before || '');
    return [type, guessValue(type, text)];
  };

  /* ------------------------------------------------------------ mention forms */

  function toggleTypeFields(form) {
    const t = form.elements.type.value;
    $$('.only-DATE, .only-DOCREF, .only-QUANTITY, .only-PERCENT', form).forEach((el) => {
      el.hidden = !el.classList.contains('only-' + t);
    });
  }
  function mentionBody(f) {
    return { start: parseInt(f.start.value, 10), end: parseInt(f.end.value, 10), type: f.type.value,
             value: f.value.value, mod: f.mod.value || null, doc_type: f.doc_type.value || null };
  }

  const addForm = $('#add-form');
  const selInfo = $('#sel-info');
  const addButton = $('#add-button');
  const addEventButton = $('#add-event-button');
  document.addEventListener('selectionchange', () => {
    const o = selectionOffsets();
    if (!o) { return; }
    lastSel = o;
    const f = addForm.elements;
    f.start.value = String(o.start);
    f.end.value = String(o.end);
    const pre = document.createRange();
    pre.selectNodeContents(textEl);
    const r = window.getSelection().getRangeAt(0);
    pre.setEnd(r.startContainer, r.startOffset);
    const type = guessType(o.text, pre.toString().slice(-12));
    f.type.value = type;
    f.value.value = guessValue(type, o.text);
    toggleTypeFields(addForm);
    selInfo.textContent = '“' + o.text + '” (' + o.start + '–' + o.end + ')';
    addButton.disabled = false;
    addEventButton.disabled = false;
  });
  toggleTypeFields(addForm);
  addForm.elements.type.addEventListener('change', () => {
    toggleTypeFields(addForm);
    if (lastSel) { addForm.elements.value.value = guessValue(addForm.elements.type.value, lastSel.text); }
  });
  addForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    send(data.api, { kind: 'mention', key: '', action: 'add', mention: mentionBody(addForm.elements) })
      .then((resp) => {
        show('Added ' + resp.key, true);
        const li = itemEl('mention', resp.key);
        if (li) { focusItem(li); }
      }, fail);
  });
  addEventButton.addEventListener('click', () => {
    if (!lastSel) { return; }
    openEventEditor(null, { start: lastSel.start, end: lastSel.end });
  });

  /* The correction form of a mention (one form, filled on demand). */
  const medit = $('#mention-editor');
  toggleTypeFields(medit);
  medit.elements.type.addEventListener('change', () => toggleTypeFields(medit));
  function openMentionEditor(li, presetType) {
    closeEditors();
    const key = li.getAttribute('data-key');
    return get(data.api_item, { id: data.article_id, kind: 'mention', key: key }).then((r) => {
      const m = r.item;
      const f = medit.elements;
      medit.setAttribute('data-key', key);
      $('.ed-key', medit).textContent = key;
      $('.ed-text', medit).textContent = '“' + m.text + '”';
      f.start.value = m.start;
      f.end.value = m.end;
      f.type.value = presetType || m.type;
      f.value.value = presetType && presetType !== m.type ? guessValue(presetType, m.text) : fmtValue(m.value);
      f.mod.value = m.mod || '';
      f.doc_type.value = m.doc_type || '';
      toggleTypeFields(medit);
      medit.hidden = false;
      f.value.focus();
      f.value.select();
    }, fail);
  }
  function fmtValue(v) {
    if (v === null || v === undefined) { return ''; }
    if (typeof v === 'object' && !Array.isArray(v) && 'unit' in v) {
      return (Array.isArray(v.number) ? JSON.stringify(v.number) : String(v.number)) + ' ' + v.unit;
    }
    if (Array.isArray(v)) { return JSON.stringify(v); }
    return String(v);
  }
  $('.use-sel', medit).addEventListener('click', () => {
    if (!lastSel) { show('Select text in the article first.', false); return; }
    medit.elements.start.value = String(lastSel.start);
    medit.elements.end.value = String(lastSel.end);
    $('.ed-text', medit).textContent = '“' + lastSel.text + '”';
  });
  medit.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = medit.getAttribute('data-key');
    send(data.api, { kind: 'mention', key: key, action: 'correct', mention: mentionBody(medit.elements) })
      .then(() => { medit.hidden = true; show('Saved', true); }, fail);
  });

  /* ------------------------------------------------------------ the event form (choices loaded on demand) */

  const eedit = $('#event-editor');
  const ARG_SELECTS = ['date', 'agent', 'institutions', 'documents', 'percents', 'quantities'];

  function fillSelect(sel, list, selected, labels) {
    const keep = new Set(selected.filter(Boolean));
    const multiple = sel.multiple;
    sel.innerHTML = '';
    if (!multiple) { sel.appendChild(new Option('none', '')); }
    const seen = new Set();
    keep.forEach((k) => {
      const lab = (labels && labels[k]) ? labels[k].label : k;
      sel.appendChild(new Option(lab, k, true, true));
      seen.add(k);
    });
    list.forEach((c) => { if (!seen.has(c.key)) { sel.appendChild(new Option(c.label, c.key)); seen.add(c.key); } });
    if (!multiple) { sel.value = selected[0] || ''; }
  }
  function selectedOf(sel) { return Array.from(sel.selectedOptions).map((o) => o.value).filter(Boolean); }
  function loadChoices(sel, near, q) {
    const name = sel.name;
    const current = selectedOf(sel);
    const labels = {};
    Array.from(sel.selectedOptions).forEach((o) => { labels[o.value] = { label: o.text }; });
    return get(data.api_choices, { id: data.article_id, type: sel.getAttribute('data-mtype'), near: near, q: q || '' })
      .then((r) => { fillSelect(eedit.elements[name], r.choices, current, labels); });
  }
  function spanText(which, s, e) {
    const el = $('.span-text[data-for="' + which + '"]', eedit);
    el.textContent = s === '' ? '' : '(' + s + '–' + e + ')';
  }
  function toggleAct() {
    const act = data.act_types.indexOf(eedit.elements.type.value) >= 0;
    $$('.act-only', eedit).forEach((el) => { el.hidden = !act; });
  }
  eedit.elements.type.addEventListener('change', toggleAct);

  function openEventEditor(key, trigger, presetType) {
    closeEditors();
    const f = eedit.elements;
    const start = key ? get(data.api_item, { id: data.article_id, kind: 'event', key: key })
      : Promise.resolve({ item: { type: presetType || 'ISSUANCE', trigger: trigger, date: null, agent: null,
                                  institutions: [], documents: [], percents: [], quantities: [], object: null,
                                  status: 'done', canonical: '' }, labels: {}, trigger_text: lastSel ? lastSel.text : '',
                          object_text: '' });
    return start.then((r) => {
      const e = r.item;
      eedit.setAttribute('data-key', key || '');
      $('.ed-title', eedit).textContent = key ? 'Correct event' : 'Add event';
      $('.ed-key', eedit).textContent = key || '';
      f.type.value = presetType || e.type;
      f.trigger_start.value = e.trigger.start;
      f.trigger_end.value = e.trigger.end;
      $('.span-text[data-for="trigger"]', eedit).textContent = '“' + (r.trigger_text || '') + '”';
      f.object_start.value = e.object ? e.object.start : '';
      f.object_end.value = e.object ? e.object.end : '';
      $('.span-text[data-for="object"]', eedit).textContent = e.object ? '“' + r.object_text + '”' : '';
      f.status.value = e.status || 'done';
      f.canonical.value = e.canonical || '';
      ARG_SELECTS.forEach((name) => {
        const cur = name === 'date' || name === 'agent' ? [e[name]] : (e[name] || []);
        fillSelect(f[name], [], cur, r.labels);
      });
      $$('.choice-filter', eedit).forEach((inp) => { inp.value = ''; });
      toggleAct();
      eedit.hidden = false;
      f.type.focus();
      const near = e.trigger.start;
      return Promise.all(ARG_SELECTS.map((name) => loadChoices(f[name], near, '')));
    }).catch(fail);
  }
  $$('.choice-filter', eedit).forEach((inp) => {
    let timer = null;
    inp.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        loadChoices(eedit.elements[inp.getAttribute('data-for')], parseInt(eedit.elements.trigger_start.value, 10) || 0,
                    inp.value);
      }, 200);
    });
  });
  $$('.use-sel', eedit).forEach((btn) => {
    btn.addEventListener('click', () => {
      if (!lastSel) { show('Select text in the article first.', false); return; }
      const which = btn.getAttribute('data-for');
      eedit.elements[which + '_start'].value = String(lastSel.start);
      eedit.elements[which + '_end'].value = String(lastSel.end);
      $('.span-text[data-for="' + which + '"]', eedit).textContent = '“' + lastSel.text + '”';
    });
  });
  $('.clear-object', eedit).addEventListener('click', () => {
    eedit.elements.object_start.value = '';
    eedit.elements.object_end.value = '';
    $('.span-text[data-for="object"]', eedit).textContent = '';
  });
  function intOrNull(v) { const n = parseInt(v, 10); return Number.isFinite(n) ? n : null; }
  eedit.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = eedit.elements;
    const key = eedit.getAttribute('data-key');
    const os = intOrNull(f.object_start.value);
    const oe = intOrNull(f.object_end.value);
    const act = data.act_types.indexOf(f.type.value) >= 0;
    const e = {
      type: f.type.value,
      trigger: { start: intOrNull(f.trigger_start.value), end: intOrNull(f.trigger_end.value) },
      date: f.date.value || null, agent: act ? (f.agent.value || null) : null,
      institutions: selectedOf(f.institutions), documents: selectedOf(f.documents),
      percents: selectedOf(f.percents), quantities: selectedOf(f.quantities),
      object: os === null || oe === null ? null : { start: os, end: oe },
      status: act ? f.status.value : null, canonical: f.canonical.value.trim() || null
    };
    send(data.api, { kind: 'event', key: key, action: key ? 'correct' : 'add', event: e }).then((resp) => {
      eedit.hidden = true;
      show(key ? 'Saved' : 'Added event ' + resp.key, true);
      const li = itemEl('event', resp.key);
      if (li) { focusItem(li); }
    }, fail);
  });

  /* ------------------------------------------------------------ comments */

  const cedit = $('#comment-editor');
  function openComment(li) {
    closeEditors();
    cedit.setAttribute('data-kind', li.getAttribute('data-kind'));
    cedit.setAttribute('data-key', li.getAttribute('data-key'));
    $('.ed-key', cedit).textContent = li.getAttribute('data-key');
    cedit.elements.text.value = '';
    cedit.hidden = false;
    cedit.elements.text.focus();
  }
  cedit.addEventListener('submit', (ev) => {
    ev.preventDefault();
    send(data.api_comment, { kind: cedit.getAttribute('data-kind'), key: cedit.getAttribute('data-key'),
                             text: cedit.elements.text.value })
      .then(() => { cedit.hidden = true; show('Comment saved', true); }, fail);
  });

  function closeEditors() { $$('form.editor').forEach((f) => { f.hidden = true; }); }
  $$('form.editor .close').forEach((b) => b.addEventListener('click', closeEditors));

  /* ------------------------------------------------------------ clicks */

  document.addEventListener('click', (ev) => {
    const t = ev.target;
    const btn = t.closest('button');
    if (btn && btn.closest('li.item')) {
      const li = btn.closest('li.item');
      focusItem(li, false);
      if (btn.classList.contains('act')) { decide(li, btn.getAttribute('data-action'), false); }
      else if (btn.classList.contains('edit')) { openEdit(li); }
      else if (btn.classList.contains('cmt')) { openComment(li); }
      return;
    }
    if (btn && btn.id === 'accept-rest') {
      send(data.api_rest, {}).then((r) => show('Accepted ' + r.accepted + ' items (u to undo)', true), fail);
      return;
    }
    if (btn && btn.id === 'undo') { undo(); return; }
    if (btn && btn.classList.contains('status-btn')) { setStatus(btn.getAttribute('data-status')); return; }
    const mark = t.closest('#text mark');
    if (mark && window.getSelection().isCollapsed) {
      const li = mark.classList.contains('tg') ? itemEl('event', mark.getAttribute('data-ekey'))
        : itemEl('mention', mark.getAttribute('data-key'));
      if (li) { focusItem(li, false); reveal(li, true); }
      return;
    }
    const listMark = t.closest('#mention-list mark.m');
    if (listMark) {
      focusItem(listMark.closest('li.item'));
      const inText = markOf('mention', listMark.closest('li.item').getAttribute('data-key'));
      if (inText) { reveal(inText, true); }
      return;
    }
    const li = t.closest('li.item');
    if (li && !t.closest('a, details, form')) { focusItem(li); }
  });

  function openEdit(li) {
    if (li.getAttribute('data-kind') === 'event') { openEventEditor(li.getAttribute('data-key')); }
    else { openMentionEditor(li); }
  }
  function undo() {
    send(data.api_undo, {}).then((r) => show('Undone: ' + r.undone.what, true), fail);
  }
  function setStatus(s) {
    send(data.api_status, { status: s }).then(() => show('Article marked ' + s, true), fail);
  }

  /* ------------------------------------------------------------ keyboard */

  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { closeEditors(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    const li = focusedEl();
    const sel = selectionOffsets();
    const k = ev.key;
    let handled = true;
    if (k === 'j') { step(1); }
    else if (k === 'k') { step(-1); }
    else if (k === 'a' && li) { decide(li, li.querySelector('[data-action="accept"]') ? 'accept' : 'accept', true); }
    else if ((k === 'r' || k === 'x') && li) { decide(li, 'reject', true); }
    else if (k === '0' && li) { decide(li, 'reset', false); }
    else if (k === 'e' && li) { openEdit(li); }
    else if (k === 'c' && li) { openComment(li); }
    else if (k === 'u') { undo(); }
    else if (k === 'A') { send(data.api_rest, {}).then((r) => show('Accepted ' + r.accepted + ' items (u to undo)', true), fail); }
    else if (k === 'D') { setStatus('done'); }
    else if (k === 'n' && data.next_article) { window.location.href = data.next_article; }
    else if (k === 'p' && data.prev_article) { window.location.href = data.prev_article; }
    else if (k === ']' && data.next_section) { window.location.href = data.next_section; }
    else if (k === '[' && data.prev_section) { window.location.href = data.prev_section; }
    else if (k === 't' && sel) { openEventEditor(null, { start: sel.start, end: sel.end }); }
    else if (/^[1-9]$/.test(k)) {
      const n = parseInt(k, 10) - 1;
      if (sel && n < data.mention_types.length) {
        addForm.elements.type.value = data.mention_types[n];
        addForm.elements.value.value = guessValue(data.mention_types[n], sel.text);
        toggleTypeFields(addForm);
        addForm.elements.value.focus();
      } else if (li && li.getAttribute('data-kind') === 'event' && n < data.event_types.length) {
        send(data.api, { kind: 'event', key: li.getAttribute('data-key'), action: 'correct',
                         event: { type: data.event_types[n] } })
          .then(() => show('Type set to ' + data.event_types[n], true), fail);
      } else if (li && li.getAttribute('data-kind') === 'mention' && n < data.mention_types.length) {
        openMentionEditor(li, data.mention_types[n]);
      } else { handled = false; }
    } else { handled = false; }
    if (handled) { ev.preventDefault(); }
  });

  /* Initial focus: #first, #last or #m-KEY / #e-KEY. */
  (function () {
    const h = decodeURIComponent(window.location.hash.slice(1));
    const all = items();
    if (h === 'first' && all.length) { focusItem(all[0]); }
    else if (h === 'last' && all.length) { focusItem(all[all.length - 1]); }
    else if (h) {
      const el = document.getElementById(h);
      if (el && el.matches('li.item')) { focusItem(el); }
    }
  }());

  /* ------------------------------------------------------------ canonical events page */

  function initCanonical() {
    const bar = $('#merge-bar');
    if (!bar) { return; }
    const api = bar.getAttribute('data-api');
    const into = $('#merge-into');
    const button = $('#merge-button');
    function picked() { return $$('.cg-pick:checked').map((c) => c.value); }
    function refreshBar() {
      const keys = picked();
      $('#picked-count').textContent = String(keys.length);
      const was = into.value;
      into.innerHTML = '';
      keys.forEach((k) => into.appendChild(new Option(k, k)));
      if (keys.indexOf(was) >= 0) { into.value = was; }
      button.disabled = keys.length < 2;
    }
    function reload() {
      const params = new URLSearchParams(window.location.search);
      params.set('fragment', '1');
      return fetch(window.location.pathname + '?' + params.toString(), { credentials: 'same-origin' })
        .then((r) => r.text()).then((html) => { $('#groups').innerHTML = html; refreshBar(); });
    }
    function act(body, done) {
      post(api, body).then((r) => reload().then(() => show(done(r), true)), fail);
    }
    document.addEventListener('change', (ev) => { if (ev.target.classList.contains('cg-pick')) { refreshBar(); } });
    button.addEventListener('click', () => {
      act({ action: 'merge', keys: picked(), into: into.value }, (r) => 'Merged ' + r.merged + ' into ' + r.into);
    });
    document.addEventListener('click', (ev) => {
      const b = ev.target.closest('button');
      if (!b) { return; }
      const li = b.closest('li[data-article]');
      if (b.classList.contains('split') && li) {
        act({ action: 'split', article_id: li.getAttribute('data-article'), event_key: li.getAttribute('data-key') },
            (r) => 'Split off as ' + r.canonical);
      } else if (b.classList.contains('rejoin') && li) {
        act({ action: 'rejoin', article_id: li.getAttribute('data-article'), event_key: li.getAttribute('data-key') },
            () => 'Rejoined');
      } else if (b.classList.contains('unmerge')) {
        act({ action: 'unmerge', key: b.getAttribute('data-key') }, () => 'Unmerged');
      }
    });
    refreshBar();
  }
}());
