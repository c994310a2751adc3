/// The page `GET /` serves: upload an exam, watch its progress, see the four views with their labels
/// and the results. Everything is inline (no CDN, no external file). The token comes from the page's
/// address fragment (`#token=...`, never sent to the server as part of a URL) or the token field;
/// `#job=ID` shows an earlier job.
enum WebPage {
    static let html = #"""
    <!DOCTYPE html><html><head><meta charset="utf-8"><title>MammoFM</title>
    <style>body{font-family:sans-serif;margin:1.5em;max-width:1100px;color:#222}
    .views{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px;max-width:700px}
    canvas{background:#000;width:100%}table{border-collapse:collapse;margin-top:1em}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}
    th{background:#f0f0f0;text-align:left}.positive{color:#b00;font-weight:bold}#status{margin:0.6em 0;color:#555}</style></head>
    <body><h1>MammoFM</h1>
    <form id="upload"><label>Token <input id="token" type="password" size="30"></label>
    <input id="files" type="file" multiple accept=".dcm,application/dicom"> <button type="submit">Analyse exam</button></form>
    <p id="status">Choose the DICOM files of one exam.</p>
    <div class="views" id="views"></div>
    <ul id="findings"></ul>
    <table id="scores"></table>
    <script>
    const params = new URLSearchParams(location.hash.slice(1));
    const tokenField = document.getElementById('token');
    tokenField.value = params.get('token') || sessionStorage.getItem('mammofm-token') || '';
    const statusLine = document.getElementById('status');
    function headers() {
      const token = tokenField.value.trim();
      if (token) sessionStorage.setItem('mammofm-token', token);
      return token ? {'Authorization': 'Bearer ' + token} : {};
    }
    function say(text) { statusLine.textContent = text; }
    async function call(path, options) {
      const response = await fetch(path, Object.assign({headers: headers()}, options || {}));
      if (!response.ok) {
        let message = response.status + ' ' + response.statusText;
        try { const body = await response.json(); if (body.error && body.error.message) message += ': ' + body.error.message; } catch (e) {}
        throw new Error(message);
      }
      return response;
    }
    document.getElementById('upload').addEventListener('submit', async (event) => {
      event.preventDefault();
      const files = document.getElementById('files').files;
      if (!files.length) { say('Choose the DICOM files of one exam first.'); return; }
      const form = new FormData();
      for (const file of files) form.append('file', file, file.name);
      try {
        say('Uploading ' + files.length + ' files...');
        const job = await (await call('/v1/exams', {method: 'POST', body: form})).json();
        location.hash = 'job=' + job.id;
        await follow(job.id);
      } catch (error) { say('Failed: ' + error.message); }
    });
    async function follow(id) {
      for (;;) {
        const job = await (await call('/v1/exams/' + id)).json();
        say('Exam ' + id + ': ' + job.status + (job.error ? ' (' + job.error + ')' : ''));
        if (job.status === 'done') { await show(id, job.analysis); return; }
        if (job.status === 'failed') return;
        await new Promise(resolve => setTimeout(resolve, 500));
      }
    }
    function percent(p) { return (100 * p).toFixed(1) + '%'; }
    async function show(id, analysis) {
      const views = document.getElementById('views');
      views.innerHTML = '';
      for (const key of ['R-CC', 'L-CC', 'R-MLO', 'L-MLO']) {
        const canvas = document.createElement('canvas');
        canvas.dataset.view = key;
        canvas.width = 320; canvas.height = 400;
        views.appendChild(canvas);
        const image = analysis.images.find(i => i.laterality + '-' + i.view === key);
        const context = canvas.getContext('2d');
        context.fillStyle = '#000'; context.fillRect(0, 0, canvas.width, canvas.height);
        context.font = 'bold 16px sans-serif';
        if (!image) { context.fillStyle = '#888'; context.fillText(key.replace('-', ' ') + ': missing', 10, 24); canvas.dataset.drawn = 'missing'; continue; }
        const blob = await (await call('/v1/exams/' + id + '/images/' + key + '.png')).blob();
        // An <img> load (a resource load, which headless browsers wait for) rather than createImageBitmap.
        const bitmap = new Image();
        await new Promise((resolve, reject) => { bitmap.onload = resolve; bitmap.onerror = reject; bitmap.src = URL.createObjectURL(blob); });
        const scale = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
        context.drawImage(bitmap, 0, 0, bitmap.width * scale, bitmap.height * scale);
        const inferred = image.lateralitySource.startsWith('inferred') || image.viewSource.startsWith('inferred');
        context.fillStyle = '#ff0';
        context.fillText(key.replace('-', ' ') + (inferred ? ' (inferred)' : ''), 10, 24);
        const mass = image.results.find(r => r.task === 'mass' && r.source === 'head');
        if (mass && mass.probabilities) { context.fillText('mass ' + percent(mass.probabilities[1]), 10, 46); }
        canvas.dataset.drawn = 'image';
      }
      const findings = document.getElementById('findings');
      findings.innerHTML = analysis.findings.length ? '' : '<li>No positive decision at the bundle\'s operating points.</li>';
      for (const finding of analysis.findings) { const item = document.createElement('li'); item.className = 'positive'; item.textContent = finding.text; findings.appendChild(item); }
      const table = document.getElementById('scores');
      table.innerHTML = '<tr><th>breast</th><th>task</th><th>source</th><th>probability</th><th>decision</th></tr>';
      const rows = [];
      for (const breast of analysis.breasts) for (const result of breast.results) rows.push([breast.laterality === 'L' ? 'left' : 'right', result]);
      for (const result of analysis.examResults) rows.push(['exam', result]);
      for (const [where, result] of rows) {
        const p = result.probabilities || result.scores;
        const shown = result.classes.length === 2 ? percent(p[1]) : result.classes.map((c, i) => c + ' ' + percent(p[i])).join(', ');
        const row = table.insertRow();
        for (const text of [where, result.task, result.source, shown, result.decision || '-']) row.insertCell().textContent = text;
        if (result.decision && result.classes.length === 2 && result.decision === result.classes[1]) row.className = 'positive';
      }
      say('Exam ' + id + ': done, ' + analysis.images.length + ' images analysed, ' + analysis.skipped.length + ' skipped.');
      document.body.dataset.state = 'shown';
    }
    if (params.get('job')) follow(params.get('job')).catch(error => say('Failed: ' + error.message));
    </script></body></html>
    """#
}
