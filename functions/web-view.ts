import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { createWebViewHandler, webViewApp } from '../lib/handlers/web-view-handler.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

const adapters = deployedAdapterSet();
const logger = functionLogger('web-view');
export const handler = createWebViewHandler(webViewApp(adapters.config.clusters, adapters.webView(), logger), logger);
