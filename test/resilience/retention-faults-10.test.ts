/** Retention apply under faults at 10% (the scenarios and what they assert: retention-fault-scenarios.ts). */
import { describeRetentionFaults } from './retention-fault-scenarios.ts';

describeRetentionFaults(0.1);
