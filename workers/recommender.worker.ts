/**
 * Worker entry: exposes the engine through comlink. Started by `createRecommender()`.
 */
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/error-transfer';
import { RecommenderService } from './service';

installErrorTransfer();
expose(new RecommenderService());
