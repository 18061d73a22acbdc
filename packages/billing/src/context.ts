export { requireCreatorOwner, requireCreatorTeam } from "@kiln/compliance";
