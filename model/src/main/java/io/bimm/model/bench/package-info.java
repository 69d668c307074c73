/** Synthetic training benchmark ({@code bench train}). */
package io.bimm.model.bench;
