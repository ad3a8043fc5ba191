// Client side of the manual grading page (plain browser JavaScript, no build step).
// Rubric clicks, keyboard navigation, saving with conflict detection, the rubric editor.
'use strict';

(function () {
  const root = document.getElementById('grading');
  if (root) gradingPage(root);
  const editor = document.getElementById('rubric-editor');
  if (editor) rubricEditor(editor);

  async function post(url, token, body) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-grading-token': token },
      body: JSON.stringify(body),
    });
    let json = {};
    try { json = await res.json(); } catch (e) { json = { error: 'the server sent no JSON (status ' + res.status + ')' }; }
    return { status: res.status, json };
  }

  function gradingPage(root) {
    const token = root.dataset.token;
    const status = document.getElementById('status');
    const total = document.getElementById('total');
    const comment = document.getElementById('comment');
    const conflict = document.getElementById('conflict');
    const criteria = Array.from(document.querySelectorAll('.criterion'));
    let version = Number(root.dataset.version);
    let dirty = false;

    function setStatus(text, isError) {
      status.textContent = text;
      status.className = isError ? 'error' : '';
    }
    function refresh() {
      let sum = 0;
      for (const li of criteria) {
        const input = li.querySelector('.points');
        const v = Number(input.value);
        const max = Number(li.dataset.max);
        sum += Number.isFinite(v) ? v : 0;
        li.classList.toggle('full', v === max);
        li.classList.toggle('partial', v > 0 && v < max);
      }
      total.textContent = String(Math.round(sum * 1e6) / 1e6);
    }
    function changed() {
      dirty = true;
      conflict.hidden = true;
      setStatus('unsaved changes');
      refresh();
    }
    function toggle(li) {
      const input = li.querySelector('.points');
      input.value = Number(input.value) === Number(li.dataset.max) ? '0' : li.dataset.max;
      changed();
    }
    for (const li of criteria) {
      li.querySelector('.toggle').addEventListener('click', () => toggle(li));
      li.querySelector('.points').addEventListener('input', changed);
    }
    comment.addEventListener('input', changed);
    refresh();

    function body(force) {
      const points = {};
      for (const li of criteria) points[li.dataset.id] = Number(li.querySelector('.points').value);
      return { assignment: root.dataset.assignment, item: root.dataset.item, n: Number(root.dataset.n), points, comment: comment.value, baseVersion: version, force: force === true };
    }
    async function save(force) {
      setStatus('saving…');
      const { status: code, json } = await post('/api/score?token=' + encodeURIComponent(token), token, body(force));
      if (code === 200) {
        version = json.saved.version;
        dirty = false;
        conflict.hidden = true;
        setStatus((force ? 'overwritten: ' : 'saved: ') + json.saved.points + ' / ' + json.saved.maxPoints + ' (version ' + version + ')');
        document.getElementById('progress').textContent = json.graded + ' / ' + json.total + ' graded';
        return true;
      }
      if (code === 409) {
        const cur = json.current;
        document.getElementById('conflict-message').textContent =
          'Not saved — conflict: ' + json.error + '. Saved there: ' + (cur ? cur.points + ' / ' + cur.maxPoints + ', comment "' + cur.comment + '"' : 'nothing') +
          '. Your changes are still in this form.';
        conflict.hidden = false;
        conflict.dataset.current = String(cur ? cur.version : 0);
        setStatus('not saved (conflict)', true);
        return false;
      }
      setStatus('not saved: ' + (json.error || ('status ' + code)), true);
      return false;
    }
    document.getElementById('save').addEventListener('click', () => save(false));
    document.getElementById('overwrite').addEventListener('click', () => {
      version = Number(conflict.dataset.current);
      save(true);
    });
    document.getElementById('reload').addEventListener('click', () => location.reload());

    async function go(n) {
      if (!n) return;
      if (dirty && !(await save(false))) return; // never leave unsaved work behind silently
      location.href = '/grade/' + encodeURIComponent(root.dataset.assignment) + '/' + encodeURIComponent(root.dataset.item) + '/' + n + '?token=' + encodeURIComponent(token);
    }
    for (const id of ['prev', 'next']) {
      const a = document.getElementById(id);
      if (a) a.addEventListener('click', (e) => { e.preventDefault(); go(root.dataset[id]); });
    }
    window.addEventListener('beforeunload', (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } });
    document.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); save(false); return; }
      const t = e.target;
      if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT')) return;
      if (e.key === 'ArrowRight' || e.key === 'j') { e.preventDefault(); go(root.dataset.next); }
      else if (e.key === 'ArrowLeft' || e.key === 'k') { e.preventDefault(); go(root.dataset.prev); }
      else if (/^[1-9]$/.test(e.key)) {
        const li = criteria[Number(e.key) - 1];
        if (li) { e.preventDefault(); toggle(li); }
      }
    });
  }

  function rubricEditor(root) {
    const token = root.dataset.token;
    const table = document.getElementById('rubric-rows');
    const status = document.getElementById('status');
    document.getElementById('add-row').addEventListener('click', () => {
      const tr = table.querySelector('tr.row').cloneNode(true);
      for (const input of tr.querySelectorAll('input')) input.value = '';
      table.appendChild(tr);
    });
    document.getElementById('save-rubric').addEventListener('click', async () => {
      const criteria = Array.from(table.querySelectorAll('tr.row'))
        .map((tr) => ({ id: tr.querySelector('.id').value.trim(), text: tr.querySelector('.text').value.trim(), points: Number(tr.querySelector('.points').value) }))
        .filter((c) => c.id || c.text);
      const { status: code, json } = await post('/api/rubric?token=' + encodeURIComponent(token), token, { assignment: root.dataset.assignment, item: root.dataset.item, criteria });
      status.textContent = code === 200 ? 'saved (' + json.criteria.length + ' criteria)' : 'not saved: ' + json.error;
      status.className = code === 200 ? '' : 'error';
    });
  }
})();
