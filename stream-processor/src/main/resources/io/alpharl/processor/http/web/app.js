// The monitoring page: polls the processor's JSON and draws it with Chart.js.
'use strict';
const MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const GATES = { collecting: 0, failing: 1, passing: 2 };
const charts = {};
let currentRun = null;

// Bounded: ticks run one at a time, so a request that never ends (a processor paused, a half-open connection) froze the page.
async function json(path) {
  const r = await fetch(path, { cache: 'no-store', signal: AbortSignal.timeout(10000) });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

// Creates a chart, or updates it in place: data and options both, since scales depend on the data
// (a heatmap's layer count grows as modules arrive).
function chart(id, config) {
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
  if (charts[id]) {
    charts[id].data = config.data;
    charts[id].options = config.options;
    charts[id].update('none');
    return;
  }
  charts[id] = new Chart(document.getElementById(id), config);
}

// A block's number and the matrix's name within the block, for any family the processor models
// (model.layers.3.self_attn.q_proj, transformer.h.3.attn.c_attn, encoder.layer.3.intermediate.dense, …),
// with what stands before the blocks (T5's encoder and decoder, a VLM's vision tower) and the experts of
// an MoE layer folded into one (mlp.experts.*.gate_proj).
function layerAndKind(name) {
  const m = name.match(/^(?:(.*?)\.)?(?:layers|layer|h|blocks|block)\.(\d+)\.(.+?)(?:\.weight)?$/);
  return m ? { prefix: m[1] || '', layer: Number(m[2]), kind: m[3].replace(/(^|\.)experts\.\d+\./, '$1experts.*.') } : {};
}

// The heatmaps' cells: one per (kind, layer); where several modules share one (an MoE layer's experts), their mean.
// Block prefixes name the kind only where a model has more than one (encoder:, decoder:).
function cellsOf(modules) {
  const several = new Set(modules.map(c => c.prefix)).size > 1;
  const byCell = new Map();
  for (const c of modules) {
    const kind = several ? `${c.prefix}:${c.kind}` : c.kind;
    const key = `${kind}|${c.layer}`;
    if (!byCell.has(key)) byCell.set(key, { kind, layer: c.layer, values: [] });
    byCell.get(key).values.push(c.v);
  }
  // The mean of the values known: an MoE layer whose idle experts have no R² (NaN) showed half its mean as the mean of all.
  return [...byCell.values()].map(c => {
    const known = c.values.map(finite).filter(v => v !== null);
    return { kind: c.kind, layer: c.layer, count: known.length, of: c.values.length,
      v: known.length === 0 ? NaN : known.reduce((a, b) => a + b, 0) / known.length };
  });
}

// The heatmaps' columns: Llama's seven in their usual order first, any other kind after them as met.
function kindsOf(cells) {
  const rank = k => { const i = MODULES.indexOf(k.split('.').pop()); return i < 0 ? MODULES.length : i; };
  const kinds = [...new Set(cells.map(c => c.kind))];
  return kinds.map((k, i) => [k, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(e => e[0]);
}

// A kind's column label: its last name where that alone tells it apart (q_proj), else the whole (attention.output.dense).
function labelsOf(kinds) {
  const last = kinds.map(k => k.split('.').pop());
  return kinds.map((k, i) => (last.filter(l => l === last[i]).length === 1 ? last[i] : k));
}

// A heatmap as a Chart.js scatter of square points, one per (module kind, layer), coloured by
// value from blue (0) to red (max); squares are sized to fill their cell.
function heatmap(id, modules, label, max) {
  const merged = cellsOf(modules);
  const kinds = kindsOf(merged);
  const labels = labelsOf(kinds);
  const cells = merged.map(c => ({ x: kinds.indexOf(c.kind), y: c.layer, v: c.v, count: c.count, of: c.of }));
  // A cell without a value is grey: hsl(NaN, ...) is no colour, and Chart.js drew it in its default one, like a value.
  const colour = v => (finite(v) === null ? 'hsl(0, 0%, 80%)' : `hsl(${Math.round(220 - 220 * Math.max(0, Math.min(1, v / max)))}, 70%, 50%)`);
  const layers = Math.max(1, ...cells.map(c => c.y + 1));
  const columns = Math.max(1, kinds.length);
  const cell = ctx => {
    const area = ctx.chart.chartArea;
    return area ? Math.max(2, Math.min(area.width / columns, area.height / layers) / 2 - 1) : 6;
  };
  const integerTicks = n => axis => { axis.ticks = Array.from({ length: n }, (_, i) => ({ value: i })); };
  chart(id, {
    type: 'scatter',
    data: { datasets: [{ label, data: cells, pointStyle: 'rect', pointRadius: cell, pointHoverRadius: cell,
      backgroundColor: cells.map(c => colour(c.v)) }] },
    options: {
      scales: {
        x: { min: -0.5, max: columns - 0.5, afterBuildTicks: integerTicks(columns), grid: { display: false },
          ticks: { autoSkip: false, callback: v => labels[v] || '' } },
        y: { min: -0.5, max: layers - 0.5, reverse: true, afterBuildTicks: integerTicks(layers), grid: { display: false },
          title: { display: true, text: 'layer' } } },
      plugins: { legend: { display: false },
        subtitle: { display: true, text: `${label}: blue 0 → red ${max.toFixed(max < 0.1 ? 3 : 2)}` },
        tooltip: { callbacks: { label: c => `${kinds[c.raw.x]} layer ${c.raw.y}: ${fixed(c.raw.v)}${c.raw.of > 1
          ? ` (mean of ${c.raw.count < c.raw.of ? `the ${c.raw.count} known of ${c.raw.of}` : c.raw.of})` : ''}` } } } }
  });
}

// Protobuf's and Jackson's JSON write a non-finite double as a string ("NaN"): a gap in a curve, never a number.
const finite = v => (v === undefined || v === null || !Number.isFinite(Number(v)) ? null : Number(v));
// Such a value in text: '-', never thrown on.
const fixed = v => (finite(v) === null ? '-' : finite(v).toFixed(3));

// Tensor names come from manifests, which any principal that may write alpharl.runs sends: text, never markup.
const esc = s => String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// The signal axis's fit is current only while the newest step had a progress value; else the step axis's is.
const current = r => (r.signalFit && r.stepFit && Number(r.signalFit.step) === Number(r.stepFit.step) ? r.signalFit : r.stepFit);

const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// A select filled with values, only where they differ from its options (rebuilt, a select shows its first option), the first of
// preferred that is among them chosen; whether it was rebuilt.
function refill(select, values, preferred) {
  if (sameList(Array.from(select.options, o => o.value), values)) return false;
  const chosen = preferred.find(v => v && values.includes(v));
  select.innerHTML = values.map(v => `<option>${esc(v)}</option>`).join('');
  if (chosen) select.value = chosen;
  return true;
}

// Another run: its charts and modules are drawn afresh.
function resetRunView() {
  Object.values(charts).forEach(c => c.destroy());
  for (const k of Object.keys(charts)) delete charts[k];
  document.getElementById('module').innerHTML = '';
}

// A run named in the address that this instance does not hold: said, with a link to the instance that holds it where the
// processor names one, rather than another run shown in its place without a word. Asked once a run.
function whereIs(wanted, ids) {
  const note = document.getElementById('elsewhere');
  if (!wanted || ids.includes(wanted)) {
    note.textContent = '';
    delete note.dataset.run;
    return;
  }
  if (note.dataset.run === wanted) return;
  note.dataset.run = wanted;
  fetch('/api/runs/' + encodeURIComponent(wanted), { cache: 'no-store', signal: AbortSignal.timeout(10000) })
    .then(r => (r.status === 404 ? r.json() : Promise.reject(new Error('HTTP ' + r.status)))) // a 503 while restoring says nothing yet
    .then(b => {
      if (note.dataset.run !== wanted) return;
      note.innerHTML = b.holder
        ? `Run ${esc(wanted)} is held by another processor instance: <a href="${esc(b.holder)}/#run=${encodeURIComponent(wanted)}">${esc(b.holder)}</a>.`
        : `Run ${esc(wanted)} is not on this instance.`;
    })
    .catch(() => { delete note.dataset.run; }); // asked again at the next refresh
}

async function refreshRuns() {
  const runs = await json('/api/runs');
  const select = document.getElementById('run');
  const ids = runs.map(r => r.runId);
  // Rebuilt when the runs differ, not only their count, keeping the run being watched: a run starting or ending switched the page
  // to another run without a word (the same count after a rebalance kept a stale list). The address first (a pick writes it; a link
  // names a run that may be listed only later), then the run shown, then the first.
  const wanted = new URLSearchParams(location.hash.slice(1)).get('run');
  if (refill(select, ids, [wanted, select.value]) && currentRun && select.value !== currentRun) {
    resetRunView(); // the run watched is gone from this instance
  }
  currentRun = select.value || null;
  whereIs(wanted, ids);
  const gate = f => (f ? f.gate.replace('GATE_STATE_', '').toLowerCase() : '-');
  document.querySelector('#runs tbody').innerHTML = runs.map(r => `<tr data-run="${esc(r.runId)}" class="${r.runId === currentRun ? 'current' : ''}">
    <td>${esc(r.runId)}</td><td>${esc(r.status.replace('RUN_STATUS_', '').toLowerCase())}</td><td>${r.lastCompleteStep}</td><td>${r.plannedSteps}</td>
    <td class="gate-${gate(r.stepFit)}">${gate(r.stepFit)}</td><td>${fixed(current(r) === r.signalFit ? r.signalFit?.meanR2 : undefined)}</td><td>${fixed(r.stepFit?.meanR2)}</td>
    <td>${fixed(r.stepFit?.confidence)}</td></tr>`).join(''); // the gate's axis: the step axis' confidence beside its gate
  return runs.length;
}

async function refreshRun() {
  // The run is read once: a switch while this waits for the processor drew one run's fits with another's heatmaps and trajectory.
  const runId = currentRun;
  if (!runId) return 0;
  const run = await json('/api/runs/' + encodeURIComponent(runId));
  const modules = await json('/api/runs/' + encodeURIComponent(runId) + '/modules');
  if (currentRun !== runId) return 0; // switched meanwhile: the next tick draws the new one
  const step = run.history.filter(h => h.axis === 'step');
  const fit = current(run);
  const signal = run.history.filter(h => h.axis === 'signal');
  document.getElementById('summary').textContent =
    `step ${run.lastCompleteStep} of ${run.plannedSteps} · gate ${run.stepFit ? run.stepFit.gate.replace('GATE_STATE_', '').toLowerCase() : '-'}`;
  chart('progress', {
    type: 'line',
    data: { datasets: [
      { label: `progress (${run.progressSignal || 'y_t'})`, data: step.map(h => ({ x: h.step, y: finite(h.progress) })), yAxisID: 'y' },
      { label: 'mean R² (step axis)', data: step.map(h => ({ x: h.step, y: h.meanR2 })), yAxisID: 'y1' },
      { label: 'mean R² (signal axis)', data: signal.map(h => ({ x: h.step, y: h.meanR2 })), yAxisID: 'y1' }] },
    options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { position: 'left' },
      y1: { position: 'right', min: 0, max: 1, grid: { drawOnChartArea: false } } } }
  });
  chart('gate', {
    type: 'line',
    data: { datasets: [
      { label: 'gate (0 collecting, 1 failing, 2 passing)', data: step.map(h => ({ x: h.step, y: GATES[h.gate] ?? 0 })), stepped: true, yAxisID: 'y' },
      { label: 'confidence', data: step.map(h => ({ x: h.step, y: h.confidence })), yAxisID: 'y1' },
      { label: 'share of modules above the R² floor', data: step.map(h => ({ x: h.step, y: h.fractionAboveFloor })), yAxisID: 'y1' }] },
    options: { parsing: false, scales: { x: { type: 'linear' }, y: { min: 0, max: 2, ticks: { stepSize: 1 } }, y1: { position: 'right', min: 0, max: 1 } } }
  });
  const r2cells = ((fit && fit.modules) || []).map(m => ({ ...layerAndKind(m.module), v: m.r2 })).filter(c => c.layer !== undefined);
  heatmap('r2map', r2cells, 'R²', 1);
  // Against pure noise of the module's shape: a raw σ1/‖ΔW‖ of 0.06 is noise for 896 × 4864 and structure for 64 × 64.
  const conc = modules.map(m => ({ ...layerAndKind(m.module), v: m.concentrationVsNoise })).filter(c => c.layer !== undefined);
  heatmap('concmap', conc, 'σ1/‖ΔW‖ over pure noise\'s', Math.max(3, ...conc.map(c => finite(c.v) ?? 0)));
  refreshOutcome(run);
  await refreshTrajectory(runId, modules);
  if (currentRun !== runId) return 0;
  document.body.dataset.rendered = `run=${runId};steps=${step.length};modules=${modules.length}`;
  return step.length;
}

// The extrapolators' side: the newest prediction, the decision, and every prediction's live score
// (its relative error in ΔW at each later step, through the sketches) against stopping there.
function refreshOutcome(run) {
  const p = run.latestPrediction;
  // The newest score of this prediction: the newest score overall may be an older prediction's, scored at a step before this
  // prediction existed, or another extrapolator's from the same step.
  const axis = a => (a || '').replace('PROGRESS_AXIS_', '').toLowerCase();
  const s = !p ? null : (run.scores || []).filter(sc => Number(sc.fromStep) === Number(p.fromStep) && axis(sc.axis) === axis(p.axis)
      && (sc.extrapolator || '') === (p.extrapolatorId || ''))
    .reduce((a, b) => (!a || Number(b.atStep) > Number(a.atStep) ? b : a), null);
  // Each extrapolator's stop by name: the trainer's agent acts on one of them (its --control-from).
  const stops = (run.decisions || []).map(d => `${d.extrapolatorId || 'an extrapolator'} decided an early stop at step ${d.atStep}`);
  document.getElementById('outcome').textContent = (!p ? 'no prediction yet' :
    `${run.predictions} predictions; newest from step ${p.fromStep} by ${p.extrapolatorId || 'an extrapolator'} ` +
    `(${axis(p.axis)} axis, ${p.reason}): ` +
    `${p.modulesExtrapolated || 0} modules extrapolated, ${p.modulesCarried || 0} carried, backtest error ` +
    `${fixed(p.backtestError)} vs stop ${fixed(p.stopBacktestError)}` +
    (s ? ` · live: ${fixed(s.error)} vs stop ${fixed(s.stopError)} at step ${s.atStep}` : ' · not scored yet')) +
    stops.map(t => ` · ${t}`).join('');
  // One curve per prediction: its step, its axis and the extrapolator that made it (two axes or two extrapolators can
  // predict from one step).
  const byPrediction = new Map();
  for (const sc of run.scores || []) {
    const key = `${sc.fromStep}|${axis(sc.axis)}|${sc.extrapolator || ''}`;
    if (!byPrediction.has(key)) byPrediction.set(key, []);
    byPrediction.get(key).push(sc);
  }
  const several = new Set((run.scores || []).map(sc => sc.extrapolator || '')).size > 1;
  const datasets = [];
  for (const list of byPrediction.values()) {
    const sc0 = list[0];
    const from = `step ${sc0.fromStep}, ${axis(sc0.axis)} axis${several ? ', ' + sc0.extrapolator : ''}`;
    datasets.push({ label: `prediction from ${from}`, data: list.map(sc => ({ x: sc.atStep, y: finite(sc.error) })) });
    datasets.push({ label: `stopping at ${from}`, data: list.map(sc => ({ x: sc.atStep, y: finite(sc.stopError) })), borderDash: [6, 4] });
  }
  chart('scores', {
    type: 'line',
    data: { datasets },
    options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'step' } },
      y: { min: 0, title: { display: true, text: '‖predicted − real ΔW‖ / ‖real ΔW‖' } } } }
  });
}

async function refreshTrajectory(runId, modules) {
  const select = document.getElementById('module');
  refill(select, modules.map(m => m.module), [select.value]);
  if (!select.value) return;
  // The processor fits the window with the extrapolator's own code: observed norms, the fitted
  // path on each progress axis, and the predicted norm at the planned final step.
  const view = await json('/api/runs/' + encodeURIComponent(runId) + '/modules/' + encodeURIComponent(select.value));
  if (currentRun !== runId) return;
  const datasets = [{ label: 'observed ‖x_t‖ = ‖ΔW_t‖_F', data: view.points.map(p => ({ x: p.step, y: p.observedNorm })), showLine: true }];
  for (const f of view.fits) {
    const path = view.points.map((p, i) => ({ x: p.step, y: f.fittedNorms[i] }));
    if (f.predictedNorm !== null) path.push({ x: view.plannedSteps, y: f.predictedNorm });
    // The paper's PLS1 line on this axis, not necessarily what a model is written with: the extrapolator applies each module's
    // backtest-chosen predictor, and carries every module while the gate is shut.
    datasets.push({ label: `${f.axis} axis: PLS1 line (R² ${fixed(f.r2)}), extended to step ${view.plannedSteps}`, data: path,
      borderDash: [6, 4], pointRadius: path.map((_, i) => i === path.length - 1 && f.predictedNorm !== null ? 5 : 0) });
  }
  chart('trajectory', {
    type: 'line',
    data: { datasets },
    options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'step' } },
      y: { title: { display: true, text: '‖x_t‖ = ‖ΔW_t‖_F' } } } }
  });
  document.getElementById('trajectory').dataset.module = view.module;
}

// One tick at a time: the 2 s timer and the pickers' changes ran ticks side by side, which drew over each other. A tick asked for
// while one runs is run once after it.
let ticking = null;
let tickAgain = false;
function tick() {
  if (ticking) {
    tickAgain = true;
    return ticking;
  }
  ticking = (async () => {
    try {
      do {
        tickAgain = false;
        await refreshRuns();
        await refreshRun();
      } while (tickAgain);
    } catch (e) {
      document.getElementById('summary').textContent = 'waiting for the processor: ' + e.message;
    } finally {
      ticking = null;
    }
  })();
  return ticking;
}

document.querySelector('#runs tbody').addEventListener('click', e => {
  const row = e.target.closest('tr');
  if (!row) return;
  const select = document.getElementById('run');
  select.value = row.dataset.run;
  select.dispatchEvent(new Event('change'));
});
document.getElementById('run').addEventListener('change', () => {
  currentRun = null;
  resetRunView();
  // The address names the run watched, so a reload or a shared link shows it.
  history.replaceState(null, '', '#run=' + encodeURIComponent(document.getElementById('run').value));
  tick();
});
document.getElementById('module').addEventListener('change', tick);
tick();
setInterval(tick, 2000);
