// Dispatch tasks: written against the task API (GET/POST /api/v1/tasks …).
import { on } from './util.js';

export function init() {
  const tab = document.getElementById('tab-tasks');
  tab.textContent = 'Tasks: not built yet.';
  on('task-from-alarm', () => {});
}
