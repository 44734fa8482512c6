import type { MediaItem } from '../types';
import type { InstagramMedia } from './schemas';

export const MEDIA_FIELDS =
  'id,caption,media_type,media_product_type,media_url,permalink,thumbnail_url,timestamp,like_count,comments_count';

/** Meta writes `2019-04-05T07:56:32+0000`: no colon in the offset, which not every parser accepts. */
export function parseMetaTimestamp(value: string): Date {
  return new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

export function toMediaItem(media: InstagramMedia): MediaItem {
  return {
    platformId: media.id,
    // A reel is a VIDEO by media_type; media_product_type is the more useful label.
    type: media.media_product_type === 'REELS' ? 'REELS' : media.media_type,
    caption: media.caption ?? null,
    permalink: media.permalink ?? null,
    mediaUrl: media.media_url ?? null,
    publishedAt: parseMetaTimestamp(media.timestamp),
    likes: media.like_count,
    comments: media.comments_count,
    shares: null,
    views: null,
  };
}
