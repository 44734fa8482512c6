import type { SimRequest, SimRoute, SimState } from '../server/types';
import { unknownApiRoute, userInfoRoute, videoListRoute, videoQueryRoute } from './api-routes';
import { tiktokAuthorizeRoute } from './dialog-route';
import { grantOf, revokeRoute, tokenRoute } from './oauth-routes';

export interface TikTokRoutes {
  /** open.tiktokapis.com */
  api(req: SimRequest): SimRoute;
  /** www.tiktok.com */
  dialog(path: string): SimRoute | null;
}

/** Route objects are built once per simulator; trailing slashes are part of the documented paths. */
export function createTikTokRoutes(state: SimState): TikTokRoutes {
  const routes = {
    codeGrant: tokenRoute(state, 'tiktok.token.authorization_code'),
    refreshGrant: tokenRoute(state, 'tiktok.token.refresh_token'),
    otherGrant: tokenRoute(state, 'tiktok.token.other'),
    revoke: revokeRoute(state),
    userInfo: userInfoRoute(state),
    videoList: videoListRoute(state),
    videoQuery: videoQueryRoute(state),
    unknown: unknownApiRoute(state),
    authorize: tiktokAuthorizeRoute(state),
  };
  return {
    api(req) {
      switch (req.path) {
        case '/v2/oauth/token/': {
          const grant = grantOf(req);
          return grant === 'authorization_code'
            ? routes.codeGrant
            : grant === 'refresh_token'
              ? routes.refreshGrant
              : routes.otherGrant;
        }
        case '/v2/oauth/revoke/':
          return routes.revoke;
        case '/v2/user/info/':
          return routes.userInfo;
        case '/v2/video/list/':
          return routes.videoList;
        case '/v2/video/query/':
          return routes.videoQuery;
        default:
          return routes.unknown;
      }
    },
    dialog: (path) => (path === '/v2/auth/authorize/' ? routes.authorize : null),
  };
}
