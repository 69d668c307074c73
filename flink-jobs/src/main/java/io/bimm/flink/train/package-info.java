/** The training sink: batches of samples, DJL training steps and checkpoint-consistent state. */
package io.bimm.flink.train;
