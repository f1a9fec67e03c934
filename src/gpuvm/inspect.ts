/**
 * What util.inspect and console.log show for the GPU VA manager's objects: a plain object of
 * the public fields, printed under the class name. The custom-inspect symbol is the registered
 * one Node looks up, so nothing here imports node: modules.
 */

export const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const views = new Map<string, new () => object>();

/** fields in an object whose constructor is named `name` (so inspect prints `name { … }`). */
export function inspectView(name: string, fields: object): object {
  let View = views.get(name);
  if (!View) {
    View = class {};
    Object.defineProperty(View, 'name', { value: name });
    views.set(name, View);
  }
  return Object.assign(new View(), fields);
}
