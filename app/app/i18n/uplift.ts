/** Strings of the studio's personalisation screen (issue 9 §7: conversion per arm). */
export const upliftEn = {
  "uplift.nav": "Personalised offers: results",
  "uplift.title": "Personalised offers",
  "uplift.itt":
    "Members count in the group they were randomly assigned to, whatever actually ranked their offers (intention to treat), so the groups stay comparable.",
  "uplift.conversion":
    "Converted: claimed or bought an offered product within {days} days of first seeing the offers. Members first shown offers less than {days} days ago are not counted yet ({pending}).",
  "uplift.model": "Active model: {version}",
  "uplift.noModel": "No active model: members see offers in the usual order.",
  "uplift.arm": "Group",
  "uplift.members": "Members",
  "uplift.converted": "Converted",
  "uplift.rate": "Conversion",
  "uplift.interval": "95 % interval",
  "uplift.arm.device": "Ranked on the device",
  "uplift.arm.server": "Ranked on the server",
  "uplift.arm.holdout": "Holdout (usual order)",
  "uplift.difference": "Difference to the holdout",
  "uplift.deviceVsHoldout": "Device − holdout: {difference} (95 % interval {low} to {high})",
  "uplift.serverVsHoldout": "Server − holdout: {difference} (95 % interval {low} to {high})",
  "uplift.notEnough": "{label}: not enough members yet",
  "uplift.served": "What actually served the offers",
  "uplift.servedRow": "Assigned {assigned}, served {served}: {count} lists",
  "uplift.noExposures": "No member has been shown offers yet.",
  "uplift.version": "Experiment version",
  "uplift.versionOption": "Version {version}: device {device} %, server {server} %, holdout {holdout} %",
  "uplift.versionCurrent": "{label} (current)",
  "uplift.show": "Show",
  "uplift.versionSince":
    "Version {version}, running since {since}. Earlier versions assigned members with other shares and are reported on their own.",
  "uplift.versionEnded":
    "Version {version} ran from {since} to {until}. Members first shown offers in its last {days} days are not counted ({cutOff}): their window ran into the next version.",
  "uplift.notMeasurable": "This version has no holdout: uplift cannot be measured.",
} as const;

export const upliftDe: Record<keyof typeof upliftEn, string> = {
  "uplift.nav": "Personalisierte Angebote: Ergebnisse",
  "uplift.title": "Personalisierte Angebote",
  "uplift.itt":
    "Mitglieder zählen in der Gruppe, der sie zufällig zugeteilt wurden, egal was ihre Angebote tatsächlich sortiert hat (Intention-to-treat), damit die Gruppen vergleichbar bleiben.",
  "uplift.conversion":
    "Konvertiert: hat innerhalb von {days} Tagen nach dem ersten Anzeigen ein angebotenes Produkt reserviert oder gekauft. Mitglieder, denen die Angebote erst vor weniger als {days} Tagen gezeigt wurden, zählen noch nicht ({pending}).",
  "uplift.model": "Aktives Modell: {version}",
  "uplift.noModel": "Kein aktives Modell: Mitglieder sehen die Angebote in der üblichen Reihenfolge.",
  "uplift.arm": "Gruppe",
  "uplift.members": "Mitglieder",
  "uplift.converted": "Konvertiert",
  "uplift.rate": "Konversion",
  "uplift.interval": "95-%-Intervall",
  "uplift.arm.device": "Auf dem Gerät sortiert",
  "uplift.arm.server": "Auf dem Server sortiert",
  "uplift.arm.holdout": "Kontrollgruppe (übliche Reihenfolge)",
  "uplift.difference": "Unterschied zur Kontrollgruppe",
  "uplift.deviceVsHoldout": "Gerät − Kontrollgruppe: {difference} (95-%-Intervall {low} bis {high})",
  "uplift.serverVsHoldout": "Server − Kontrollgruppe: {difference} (95-%-Intervall {low} bis {high})",
  "uplift.notEnough": "{label}: noch nicht genug Mitglieder",
  "uplift.served": "Was die Angebote tatsächlich sortiert hat",
  "uplift.servedRow": "Zugeteilt {assigned}, sortiert {served}: {count} Listen",
  "uplift.noExposures": "Noch keinem Mitglied wurden Angebote gezeigt.",
  "uplift.version": "Version des Experiments",
  "uplift.versionOption": "Version {version}: Gerät {device} %, Server {server} %, Kontrollgruppe {holdout} %",
  "uplift.versionCurrent": "{label} (aktuell)",
  "uplift.show": "Anzeigen",
  "uplift.versionSince":
    "Version {version}, läuft seit {since}. Frühere Versionen haben Mitglieder mit anderen Anteilen zugeteilt und werden für sich ausgewertet.",
  "uplift.versionEnded":
    "Version {version} lief von {since} bis {until}. Mitglieder, denen die Angebote in ihren letzten {days} Tagen zuerst gezeigt wurden, zählen nicht ({cutOff}): ihr Zeitraum reichte in die nächste Version.",
  "uplift.notMeasurable": "Diese Version hat keine Kontrollgruppe: die Wirkung lässt sich nicht messen.",
};
