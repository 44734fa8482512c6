/** Where each simulated host lives on the one port: `${base}${MOUNTS.x}`. */
export const MOUNTS = {
  instagramGraph: '/instagram/graph',
  instagramApi: '/instagram/api',
  instagramWww: '/instagram/www',
  tiktokApi: '/tiktok/api',
  tiktokWww: '/tiktok/www',
  control: '/_control',
} as const;
