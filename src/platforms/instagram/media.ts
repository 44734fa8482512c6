import type { MediaItem } from '../types';
import type { InstagramMedia } from './schemas';

export const MEDIA_FIELDS =
  'id,caption,media_type,media_product_type,media_url,permalink,thumbnail_url,timestamp,like_count,comments_count';

export function toMediaItem(media: InstagramMedia): MediaItem {
  return {
    platformId: media.id,
    // A reel is a VIDEO by media_type; media_product_type is the more useful label.
    type: media.media_product_type === 'REELS' ? 'REELS' : media.media_type,
    caption: media.caption ?? null,
    permalink: media.permalink ?? null,
    mediaUrl: media.media_url ?? null,
    publishedAt: media.timestamp,
    likes: media.like_count,
    comments: media.comments_count,
    shares: null,
    views: null,
  };
}
