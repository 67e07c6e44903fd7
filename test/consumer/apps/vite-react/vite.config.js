// Vite's defaults; the worker format must be ES modules (the library's worker is a module worker).
export default { worker: { format: 'es' }, build: { assetsInlineLimit: 0 } };
