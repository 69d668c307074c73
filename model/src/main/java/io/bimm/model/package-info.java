/** The BIMM dual-branch model: configuration, presets and the {@link io.bimm.model.Bimm} block. */
package io.bimm.model;
