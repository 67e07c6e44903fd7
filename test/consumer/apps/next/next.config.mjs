/** Static export: the shop is plain files (out/), served by any static server. */
export default { output: 'export' };
