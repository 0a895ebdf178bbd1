/**
 * The cost model of docs/cost-model.md as table rows: USD per cluster per month at 1, 10 and 100 WAL segments per
 * minute, walcat next to the list-based way polling every minute. Computed, not measured (support/cost-model.ts).
 */
import type { Benchmark, BenchRow } from './bench-types.ts';
import { ASSUMPTIONS, monthlyCost } from './support/cost-model.ts';

const NAME = 'cost-model';
const RATES = [1, 10, 100] as const;

const costModel: Benchmark = {
  name: NAME,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    for (const rate of RATES) {
      const cost = monthlyCost(rate);
      const at = `${rate} seg/min`;
      const window = `${cost.retainedSegments.toLocaleString('en-US')} segments retained (${ASSUMPTIONS.retentionDays}-day window)`;
      const add = (metric: string, value: number, unit: string, note: string) =>
        rows.push({ benchmark: NAME, metric: `${at}: ${metric}`, value, unit, note });
      add(
        'walcat total',
        cost.walcat.total,
        'USD/month',
        `computed: DynamoDB ${cost.walcat.dynamodb.toFixed(2)} + Lambda ${cost.walcat.lambda.toFixed(2)} + SQS ${cost.walcat.sqs.toFixed(2)} + S3 ${cost.walcat.s3.toFixed(2)}`,
      );
      add(
        'list-based polling every minute',
        cost.listBased.total,
        'USD/month',
        `computed: LIST ${cost.listBased.s3List.toFixed(2)} + GET ${cost.listBased.s3Get.toFixed(2)}; ${window}`,
      );
      add(
        'cost ratio list-based / walcat',
        cost.listBased.total / cost.walcat.total,
        'x',
        'computed; archiver PUTs excluded on both sides',
      );
      add('archiver PUTs (context)', cost.archiverPuts, 'USD/month', 'the archiver pays these either way');
    }
    return rows;
  },
};

export default costModel;
