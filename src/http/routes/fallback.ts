import { AppError } from '../../errors';

/** Last middleware: nothing answered, so the path is unknown. */
export function throwRouteNotFound(): never {
  throw new AppError('ROUTE_NOT_FOUND', 'No such route.');
}

export function methodNotAllowed(): Error {
  return new AppError('METHOD_NOT_ALLOWED', 'This method is not allowed on this route.');
}
