/** A misuse of the control surface (unknown account, bad argument): HTTP 400/404 on /_control. */
export class SimulatorError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}
