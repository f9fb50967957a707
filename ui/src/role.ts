// What the account that opened the store may do. A Samiti viewer's account reads only: the
// screens show her no button she could not use (every control that changes something carries
// `data-write`, hidden by the `read-only` class on the page), and the library refuses each such
// command anyway, so hiding is a courtesy, not the defence.

let writes = true;
let deletes = false;

/** Records what the account that just opened the store may do, and shows or hides the controls. */
export function setMayWrite(mayWrite: boolean, mayDelete = false): void {
  writes = mayWrite;
  deletes = mayDelete;
  document.body.classList.toggle("read-only", !mayWrite);
}

/** Whether the open account may delete what was recorded (a supervisor's power). */
export function mayDelete(): boolean {
  return deletes;
}

/** Whether the open account may change anything. */
export function mayWrite(): boolean {
  return writes;
}
