/** Loss curves of a training run, drawn from its training-log.jsonl. */
package io.bimm.flink.plot;
