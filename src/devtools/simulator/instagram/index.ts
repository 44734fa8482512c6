import type { SimRoute, SimState } from '../server/types';
import { mediaRoute, profileRoute, unknownGraphRoute } from './graph-routes';
import { authorizeRoute, codeExchangeRoute } from './oauth-routes';
import { exchangeTokenRoute, refreshTokenRoute } from './token-routes';

export interface InstagramRoutes {
  /** graph.instagram.com, with the version prefix already removed from `path`. */
  graph(path: string): SimRoute;
  /** api.instagram.com */
  oauth(path: string): SimRoute | null;
  /** www.instagram.com */
  dialog(path: string): SimRoute | null;
}

const NODE = /^\/(me|\d+)$/;
const NODE_MEDIA = /^\/(me|\d+)\/media$/;

/** Route objects are built once per simulator; resolving a path is a couple of comparisons. */
export function createInstagramRoutes(state: SimState): InstagramRoutes {
  const routes = {
    exchange: exchangeTokenRoute(state),
    refresh: refreshTokenRoute(state),
    profile: profileRoute(state),
    media: mediaRoute(state),
    unknown: unknownGraphRoute(state),
    code: codeExchangeRoute(state),
    authorize: authorizeRoute(state),
  };
  return {
    graph(path) {
      if (path === '/access_token') return routes.exchange;
      if (path === '/refresh_access_token') return routes.refresh;
      if (NODE.test(path)) return routes.profile;
      if (NODE_MEDIA.test(path)) return routes.media;
      return routes.unknown;
    },
    oauth: (path) =>
      path === '/oauth/access_token' ? routes.code : path === '/oauth/authorize' ? routes.authorize : null,
    dialog: (path) => (path === '/oauth/authorize' ? routes.authorize : null),
  };
}
