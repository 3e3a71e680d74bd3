/** The deploy's side effects: reading and storing packages, writing the registry. */
package dev.faaster.activities.deploy;
