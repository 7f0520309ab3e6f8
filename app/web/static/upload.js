// The upload page: files and folders (dropped or picked) go one request per file, so each
// has its own transfer bar; then the file's job is polled for reading progress and result.
// Everything shown comes from textContent: file names and server messages are never HTML.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const maxBytes = Number(form.dataset.maxBytes || "0");
  const clientSelect = document.getElementById("client");
  const list = document.querySelector("#upload-list tbody");
  const summary = document.getElementById("upload-summary");
  const zone = document.getElementById("drop-zone");
  const PARALLEL = 2;
  const queue = [];
  let running = 0;
  const counts = { total: 0, stored: 0, duplicate: 0, unreadable: 0, refused: 0 };
  // a signed-in browser's changes carry its session's CSRF token (empty in local mode: none needed)
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function itemLink(id, words) {
    const a = el("a", { href: "/items/" + id }, words);
    return a;
  }

  function updateSummary() {
    const busy = counts.total - counts.stored - counts.duplicate - counts.unreadable - counts.refused;
    const parts = [counts.total + (counts.total === 1 ? " file" : " files")];
    parts.push(counts.stored + " stored", counts.duplicate + " duplicate" + (counts.duplicate === 1 ? "" : "s"));
    if (counts.unreadable) parts.push(counts.unreadable + " kept but unreadable");
    if (counts.refused) parts.push(counts.refused + " refused");
    if (busy > 0) parts.push(busy + " in progress");
    summary.textContent = parts.join(", ");
  }

  function addRow(file, path) {
    const row = el("tr");
    const name = el("td", { class: "file" }, path);
    name.appendChild(el("span", { class: "muted" }, " · " + humanSize(file.size)));
    const transfer = el("progress", { max: String(file.size || 1), value: "0", "aria-label": "Transfer of " + path });
    const reading = el("progress", { "aria-label": "Reading of " + path });
    reading.hidden = true;
    const note = el("span", { class: "muted note" });
    const result = el("td", { class: "result", "aria-live": "polite", "data-label": "Result" }, "waiting");
    const t = el("td", { "data-label": "Transfer" }); t.appendChild(transfer);
    const r = el("td", { "data-label": "Reading" }); r.appendChild(reading); r.appendChild(note);
    row.append(name, t, r, result);
    list.appendChild(row);
    return { row, transfer, reading, note, result };
  }

  function humanSize(n) {
    if (n < 1000) return n + " bytes";
    const units = ["KB", "MB", "GB", "TB"];
    let v = n, i = -1;
    do { v /= 1000; i++; } while (v >= 1000 && i < units.length - 1);
    return (v < 100 ? v.toFixed(1) : v.toFixed(0)) + " " + units[i];
  }

  function finish(ui, kind, node) {
    ui.result.textContent = "";
    ui.result.className = "result " + kind;
    ui.result.appendChild(node);
    counts[kind] += 1;
    updateSummary();
  }

  function enqueue(file, path) {
    counts.total += 1;
    const ui = addRow(file, path);
    updateSummary();
    if (maxBytes && file.size > 2 * maxBytes) {
      // far over the limit: the server would stop listening long before the end
      finish(ui, "refused", document.createTextNode(
        "'" + path + "' is larger than the upload limit of " + maxBytes.toLocaleString("en") +
        " bytes (CASEFILE_MAX_UPLOAD_BYTES); it was not stored"));
      return;
    }
    queue.push({ file, path, ui });
    pump();
  }

  function pump() {
    while (running < PARALLEL && queue.length) {
      running += 1;
      send(queue.shift()).finally(() => { running -= 1; pump(); });
    }
  }

  function send(task) {
    return new Promise((resolve) => {
      const { file, path, ui } = task;
      const xhr = new XMLHttpRequest();
      const client = clientSelect ? clientSelect.value : "";
      xhr.open("POST", "/api/uploads" + (client ? "?client=" + encodeURIComponent(client) : ""));
      xhr.setRequestHeader("Accept", "application/json");
      if (csrfToken) xhr.setRequestHeader("X-CSRF-Token", csrfToken);
      ui.result.textContent = "sending";
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) { ui.transfer.max = e.total; ui.transfer.value = e.loaded; } };
      xhr.onerror = () => {
        finish(ui, "refused", document.createTextNode("the transfer failed (connection lost); try again"));
        resolve();
      };
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 202 && body && body.files && body.files.length) {
          ui.transfer.value = ui.transfer.max;
          const f = body.files[0];
          if (f.outcome === "duplicate") {
            const span = el("span", {}, "duplicate of ");
            span.appendChild(itemLink(f.duplicate_of, "#" + f.duplicate_of));
            finish(ui, "duplicate", span);
            resolve();
          } else {
            ui.result.textContent = "received, reading…";
            ui.reading.hidden = false;
            poll(f, ui).then(resolve);
          }
        } else {
          const detail = body && typeof body.detail === "string" ? body.detail : "the upload failed (" + xhr.status + ")";
          finish(ui, "refused", document.createTextNode(detail));
          resolve();
        }
      };
      const data = new FormData();
      data.append("file", file, path);
      xhr.send(data);
    });
  }

  function poll(upload, ui) {
    return new Promise((resolve) => {
      const tick = () => {
        fetch("/api/jobs/" + upload.job_id, { headers: { Accept: "application/json" } })
          .then((r) => r.json())
          .then((job) => {
            if (job.progress_total) { ui.reading.max = job.progress_total; ui.reading.value = job.progress_done; }
            ui.note.textContent = job.progress_note ? " " + job.progress_note : "";
            if (job.state === "done" || job.state === "failed") {
              ui.reading.max = 1; ui.reading.value = 1;
              const res = job.result || {};
              const span = el("span");
              if (job.state === "failed" || res.status === "failed") {
                span.append("kept but unreadable: " + (res.error || job.error || "unknown reason") + " (");
                span.appendChild(itemLink(upload.item_id, "#" + upload.item_id));
                span.append(")");
                finish(ui, "unreadable", span);
              } else {
                span.append(res.status === "partial" ? "stored, partly read: " + (res.error || "") + " " : "stored as ");
                span.appendChild(itemLink(upload.item_id, "#" + upload.item_id));
                finish(ui, "stored", span);
              }
              resolve();
            } else {
              setTimeout(tick, 700);
            }
          })
          .catch(() => setTimeout(tick, 2000));
      };
      tick();
    });
  }

  function addFiles(files) {
    for (const file of files) enqueue(file, file.webkitRelativePath || file.name);
  }

  // Folders dropped on the page: walk them (readEntries returns at most 100 at a time).
  function walk(entry, prefix) {
    return new Promise((resolve) => {
      if (entry.isFile) {
        entry.file((file) => { enqueue(file, prefix + file.name); resolve(); }, () => resolve());
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        const all = [];
        const more = () => reader.readEntries((batch) => {
          if (!batch.length) {
            all.sort((a, b) => a.name.localeCompare(b.name));
            Promise.all(all.map((e) => walk(e, prefix + entry.name + "/"))).then(resolve);
          } else { all.push(...batch); more(); }
        }, () => resolve());
        more();
      } else resolve();
    });
  }

  document.getElementById("file-input").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
  document.getElementById("folder-input").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, () => zone.classList.remove("over")));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    const items = e.dataTransfer.items;
    if (items && items.length && items[0].webkitGetAsEntry) {
      for (const item of items) {
        const entry = item.webkitGetAsEntry();
        if (entry) walk(entry, "");
      }
    } else addFiles(e.dataTransfer.files);
  });
  // keyboard: the drop zone opens the file picker
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); document.getElementById("file-input").click(); }
  });
  zone.addEventListener("click", () => document.getElementById("file-input").click());
  // the page's form never submits itself when scripts run: files go one by one above
  form.addEventListener("submit", (e) => e.preventDefault());
})();
