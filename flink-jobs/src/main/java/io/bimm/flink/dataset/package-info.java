/** Labeled video sets the project generates itself, for finetuning tests and the evaluation. */
package io.bimm.flink.dataset;
