// The viewer's preferences, kept in this browser (localStorage).

const key = 'statstore.prefs';

const defaults = {
  smoothing: 0.6, // TensorBoard's default EMA weight
  log: false, // log-scale loss axis
  mode: 'stride', // subsample mode: stride, or minmax to keep spikes
  criterion: '', // the criterion shown; '' = the run's first
  runsDataset: null, // the runs list's best column: its dataset, '' the mean over datasets, null the default
  paramMode: 'each', // validation lines: each parameter set, or best over them
  includeSuperseded: false, // show checkpoints whose weights a resumed training overwrote in plots and best reports
};

/** The saved preferences, with defaults for what was never set. */
export function loadPrefs() {
  try {
    const saved = JSON.parse(localStorage.getItem(key) || '{}');
    return { ...defaults, ...(saved && typeof saved === 'object' ? saved : {}) };
  } catch {
    return { ...defaults };
  }
}

/** Saves some preferences and returns them all. */
export function savePrefs(changes) {
  const p = { ...loadPrefs(), ...changes };
  try {
    localStorage.setItem(key, JSON.stringify(p));
  } catch {
    // storage disabled: preferences last for this page only
  }
  return p;
}
