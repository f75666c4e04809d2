// The page: inputs and settings, jobs with live progress, and the viewer of a finished job.
import { Viewer, roleColour } from './viewer.js';

const $ = (selector) => document.querySelector(selector);
const state = { info: null, shown: null, jobs: [], polling: null };

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `${response.status} ${response.statusText}`);
  return body;
}

function element(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ---- inputs -------------------------------------------------------------------------------
function describe(info) {
  const parts = [`${info.frames} frames, ${info.seconds} s at ${info.fps} fps`];
  const imported = info.import || {};
  if (imported.format) parts.push(imported.format);
  if (imported.skeleton) parts.push(`skeleton ${imported.skeleton}`);
  if (imported.joint_map) parts.push(`joint map ${typeof imported.joint_map === 'string' ? imported.joint_map : 'custom'}`);
  if (imported.scale) parts.push(`scale ${imported.scale}`);
  if (info.text) parts.push(`caption "${info.text}"`);
  return parts.join(' · ');
}

function addInput(container, removable) {
  const card = $('#input-card').content.firstElementChild.cloneNode(true);
  const file = card.querySelector('input[type=file]');
  const info = card.querySelector('.info');
  const drop = card.querySelector('.drop');
  card.querySelector('.remove').hidden = !removable;
  card.querySelector('.remove').addEventListener('click', () => card.remove());
  card.upload = null;

  async function send(chosen) {
    card.upload = null;
    info.className = 'info muted';
    info.textContent = `reading ${chosen.name} ...`;
    drop.querySelector('.drop-hint').textContent = chosen.name;
    const form = new FormData();
    form.append('file', chosen);
    try {
      const stored = await api('/api/motions', { method: 'POST', body: form });
      card.upload = stored.id;
      info.textContent = describe(stored.info) + (stored.info.note ? ` · ${stored.info.note}` : '');
    } catch (error) {
      info.className = 'info error';
      info.textContent = error.message;
    }
  }
  file.addEventListener('change', () => file.files[0] && send(file.files[0]));
  drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer.files[0]) send(event.dataTransfer.files[0]);
  });
  container.append(card);
  return card;
}

function inputValue(card) {
  const text = card.querySelector('.text').value.trim() || null;
  return card.upload ? { upload: card.upload, text } : { text };
}

function settingsValue() {
  const form = $('#settings-form');
  const settings = {};
  for (const name of ['layers', 'steps']) {
    const value = form.elements[name].value.trim();
    if (value) settings[name] = value;
  }
  for (const name of ['sampling_steps', 'guidance', 'follower_copies', 'frames', 'seed']) {
    const value = form.elements[name].value.trim();
    if (value) settings[name] = Number(value);
  }
  for (const name of ['reuse_inversion', 'crop', 'video', 'fix_feet']) settings[name] = form.elements[name].checked;
  if (form.elements.skeleton.value) settings.skeleton = form.elements.skeleton.value;
  return settings;
}

async function run() {
  $('#run-error').textContent = '';
  const followers = [...document.querySelectorAll('#followers .input-card')].map(inputValue);
  const leader = inputValue($('#leader .input-card'));
  const missing = [leader, ...followers].some((item) => !item.upload && !item.text);
  if (missing) {
    $('#run-error').textContent = 'Give the leader and every follower a motion file or a prompt.';
    return;
  }
  try {
    const job = await api('/api/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ leader, followers, settings: settingsValue() }),
    });
    state.jobs.unshift(job);
    poll();
  } catch (error) {
    $('#run-error').textContent = error.message;
  }
}

// ---- jobs ---------------------------------------------------------------------------------
function summary(job) {
  const name = (item) => item.file ? item.file : `"${item.text}"`;
  const inputs = job.inputs || {};
  if (!inputs.leader) return job.id;
  return `${name(inputs.leader)} ← ${inputs.followers.map(name).join(', ')}`;
}

function progressText(job) {
  const p = job.progress || {};
  if (job.state === 'failed') return job.error || 'failed';
  if (job.state === 'queued') return 'waits for the job before it';
  if (job.state === 'done' && job.finished) return `in ${Math.round(job.finished - job.created)} s`;
  if (job.state === 'cancelled') return '';
  if (p.total) return `${p.phase} ${p.step}/${p.total}`;
  return p.phase || job.state;
}

function renderJobs() {
  const list = $('#jobs');
  list.replaceChildren(...state.jobs.map((job) => {
    const bar = element('div', { class: 'bar' }, element('div', { class: 'fill' }));
    bar.firstChild.style.width = `${Math.round(100 * (job.progress?.fraction || 0))}%`;
    const actions = element('div', { class: 'actions' });
    if (job.state === 'queued' || job.state === 'running') {
      actions.append(element('button', { type: 'button', onclick: () => cancel(job.id) }, 'cancel'));
    }
    if (job.state === 'done') {
      actions.append(element('button', { type: 'button', onclick: () => show(job.id) }, state.shown === job.id ? 'shown' : 'view'));
    }
    const warnings = (job.warnings || []).map((w) => element('p', { class: 'warning' }, w));
    return element('li', { class: `job ${job.state}`, 'data-id': job.id },
      element('div', { class: 'job-title' }, summary(job)),
      element('div', { class: 'job-state' }, element('span', { class: 'state' }, job.state), ' ',
        element('span', { class: job.state === 'failed' ? 'error' : 'muted' }, progressText(job))),
      bar, ...warnings, actions);
  }));
}

async function cancel(id) {
  await api(`/api/jobs/${id}/cancel`, { method: 'POST' }).catch(() => {});
  poll();
}

async function poll() {
  clearTimeout(state.polling);
  const before = new Map(state.jobs.map((job) => [job.id, job.state]));
  state.jobs = await api('/api/jobs').catch(() => state.jobs);
  renderJobs();
  for (const job of state.jobs) {
    const was = before.get(job.id);
    if (job.state === 'done' && was && was !== 'done') show(job.id);
  }
  if (state.jobs.some((job) => job.state === 'queued' || job.state === 'running')) {
    state.polling = setTimeout(poll, 400);
  }
}

// ---- results ------------------------------------------------------------------------------
const viewer = new Viewer($('#canvas'));

function renderLegend(scene) {
  const counts = {};
  $('#legend').replaceChildren(...scene.motions.map((motion, i) => {
    const index = counts[motion.role] = (counts[motion.role] ?? -1) + 1;
    const box = element('input', { type: 'checkbox', checked: '' });
    box.addEventListener('change', () => viewer.setVisible(i, box.checked));
    const swatch = element('span', { class: 'swatch' });
    swatch.style.background = roleColour(motion.role, index);
    return element('li', {}, element('label', {}, box, swatch, `${motion.label} (${motion.frames})`));
  }));
}

function renderMetrics(metrics) {
  if (!metrics.outputs.length) {
    $('#metrics').replaceChildren(element('p', { class: 'muted' }, 'No metrics.json in this result.'));
    return;
  }
  const head = element('tr', {}, element('th', {}, 'output'), ...metrics.columns.map((c) => element('th', {}, c.title)));
  const rows = metrics.outputs.map((record) => element('tr', {},
    element('td', {}, record.output ?? ''),
    ...metrics.columns.map((c) => element('td', { class: 'num' },
      typeof record[c.key] === 'number' ? record[c.key].toFixed(3) : String(record[c.key] ?? '')))));
  $('#metrics').replaceChildren(element('table', {}, element('thead', {}, head), element('tbody', {}, ...rows)));
}

function renderDownloads(id, scene) {
  const base = `/api/jobs/${id}`;
  const names = new Set(scene.files.map((f) => f.name));
  const link = (href, text) => element('a', { href, download: '' }, text);
  const motions = scene.motions.map((m) => element('li', {},
    element('span', { class: 'mono' }, m.label), ' ',
    ...['npy', 'bvh'].filter((ext) => names.has(`${m.label}.${ext}`))
      .flatMap((ext) => [link(`${base}/files/${m.label}.${ext}`, `.${ext}`), ' ']),
    link(`${base}/video/${m.label}.mp4`, '.mp4')));
  const motionFiles = new Set(scene.motions.flatMap((m) => [`${m.label}.npy`, `${m.label}.bvh`]));
  const others = scene.files.filter((f) => !motionFiles.has(f.name)).map((f) => element('li', {},
    link(`${base}/files/${f.name}`, f.name), element('span', { class: 'muted' }, ` ${(f.bytes / 1024).toFixed(0)} kB`)));
  $('#downloads').replaceChildren(
    element('p', {}, link(`${base}/zip`, 'everything (.zip)')),
    element('ul', { class: 'files' }, ...motions, ...others));
}

async function show(id) {
  state.shown = id;
  renderJobs();
  const scene = await api(`/api/jobs/${id}/scene`);
  viewer.load(scene);
  $('#empty').hidden = scene.motions.length > 0;
  $('#scrub').max = String(viewer.frames - 1);
  renderLegend(scene);
  renderMetrics(scene.metrics);
  renderDownloads(id, scene);
  setupLinks(scene);
  state.scene = scene;
  if ($('#bvh').checked) loadBvh();
}

// ---- correspondences ----------------------------------------------------------------------
function setupLinks(scene) {
  // The followers of this result (not their copies) in the picker; links need the leader.
  const leader = scene.motions.findIndex((m) => m.label === 'leader');
  const followers = scene.motions.map((m, i) => [m, i]).filter(([m]) => /^follower_\d+$/.test(m.label));
  state.links = { leader, followers };
  const analysed = scene.files.some((f) => f.name === 'analysis.json'); // momo view reads it
  $('#links-section').hidden = leader < 0 || !followers.length || (state.info.mode === 'view' && !analysed);
  $('#links-form').elements.follower.replaceChildren(...followers.map(([m]) =>
    element('option', { value: m.label.split('_')[1] }, m.label)));
  const model = state.info.model || {};
  if (model.num_layers) $('#links-form').elements.layer.placeholder = String(Math.floor(model.num_layers / 2));
  $('#links-form').elements.timestep.placeholder = 'middle';
  $('#links-form').elements.steps.placeholder = 'all';
  $('#links-status').textContent = '';
  $('#links-list').replaceChildren();
}

async function showLinks() {
  const form = $('#links-form');
  const params = new URLSearchParams({ follower: form.elements.follower.value });
  for (const name of ['layer', 'timestep', 'steps']) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  const id = state.shown;
  $('#links-status').className = 'muted';
  $('#links-status').textContent = 'computing (inversion of the leader and the follower) ...';
  try {
    const found = await api(`/api/jobs/${id}/correspondences?${params}`);
    if (state.shown !== id) return;
    const follower = state.links.followers.find(([m]) => m.label === `follower_${found.follower}`);
    const mapping = found.leader_to_follower;
    const every = Math.max(1, Math.round(mapping.length / 12));
    viewer.setLinks(state.links.leader, follower[1], mapping, every);
    $('#links-status').textContent = `layer ${found.layer}, timestep ${found.timestep}: leader frame → follower_${found.follower} frame (every ${every})`;
    const items = [];
    for (let i = 0; i < mapping.length; i += every) items.push(element('li', { 'data-frame': String(i) }, `${i}→${mapping[i]}`));
    $('#links-list').replaceChildren(...items);
  } catch (error) {
    $('#links-status').className = 'error';
    $('#links-status').textContent = error.message;
  }
}

function loadBvh() {
  const names = new Set(state.scene.files.map((f) => f.name));
  const urls = state.scene.motions.map((m) => names.has(`${m.label}.bvh`) ? `/api/jobs/${state.shown}/files/${m.label}.bvh` : null);
  viewer.loadBvh(urls).catch((error) => { $('#run-error').textContent = `BVH check: ${error.message}`; });
}

// ---- toolbar ------------------------------------------------------------------------------
function bindToolbar() {
  const play = $('#play');
  const toggle = () => { viewer.playing = !viewer.playing; play.textContent = viewer.playing ? 'Pause' : 'Play'; };
  play.addEventListener('click', toggle);
  document.addEventListener('keydown', (event) => {
    if (event.code === 'Space' && !['INPUT', 'SELECT', 'TEXTAREA'].includes(event.target.tagName)) {
      event.preventDefault();
      toggle();
    }
  });
  $('#scrub').addEventListener('input', (event) => {
    if (viewer.playing) toggle();
    viewer.seek(Number(event.target.value));
  });
  viewer.onFrame = (frame, frames) => {
    $('#scrub').value = String(frame);
    $('#frame-label').textContent = `${frame + 1} / ${frames}`;
  };
  $('#fit').addEventListener('click', () => viewer.frameCamera());
  $('#links-run').addEventListener('click', showLinks);
  $('#links-hide').addEventListener('click', () => {
    viewer.clearLinks();
    $('#links-list').replaceChildren();
    $('#links-status').textContent = '';
  });
  $('#speed').addEventListener('change', (event) => { viewer.speed = Number(event.target.value); });
  $('#layout').addEventListener('change', (event) => { viewer.layout = event.target.value; viewer.arrange(); viewer.frameCamera(); });
  $('#traces').addEventListener('change', (event) => { viewer.showTraces = event.target.checked; viewer.arrange(); });
  $('#contacts').addEventListener('change', (event) => { viewer.showContacts = event.target.checked; viewer.draw(); });
  $('#bvh').addEventListener('change', (event) => {
    if (event.target.checked && state.scene) loadBvh();
    else { viewer.clearBvh(); viewer.draw(); }
  });
}

function applyHash() {
  // Link options: #layout=overlay&bvh&speed=0.5 set the toolbar before the first result shows.
  const options = new URLSearchParams(window.location.hash.slice(1));
  if (options.get('layout')) { $('#layout').value = options.get('layout'); viewer.layout = $('#layout').value; }
  if (options.get('speed')) { $('#speed').value = options.get('speed'); viewer.speed = Number($('#speed').value) || 1; }
  if (options.has('bvh')) $('#bvh').checked = true;
  if (options.has('paused')) $('#play').click();
}

async function start() {
  bindToolbar();
  applyHash();
  state.info = await api('/api/info');
  const model = state.info.model;
  if (state.info.mode === 'view') {
    document.body.classList.add('view-only');
    $('#model-info').textContent = `viewing ${state.info.folder}`;
    show('view');
    return;
  }
  $('#model-info').textContent = `model ${model.source}: ${model.num_layers} layers, T=${model.num_timesteps}, ≤${model.max_frames} frames`;
  const form = $('#settings-form');
  for (const [name, value] of Object.entries(state.info.defaults)) {
    const field = form.elements[name];
    if (!field) continue;
    if (field.type === 'checkbox') field.checked = Boolean(value);
    else field.placeholder = String(value);
  }
  addInput($('#leader'), false);
  addInput($('#followers'), false);
  $('#add-follower').addEventListener('click', () => addInput($('#followers'), true));
  $('#run').addEventListener('click', run);
  await poll();
  const done = state.jobs.find((job) => job.state === 'done');
  if (done) show(done.id);
}

start().catch((error) => { $('#run-error').textContent = error.message; });
