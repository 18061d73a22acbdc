DROP POLICY "audit_log_coop" ON "audit_log" CASCADE;--> statement-breakpoint
DROP POLICY "audit_personal_data_coop" ON "audit_personal_data" CASCADE;--> statement-breakpoint
CREATE POLICY "audit_log_append" ON "audit_log" AS PERMISSIVE FOR INSERT TO "kiln_app" WITH CHECK (coop_id = kiln_coop_id());--> statement-breakpoint
CREATE POLICY "audit_log_read" ON "audit_log" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id());--> statement-breakpoint
CREATE POLICY "audit_personal_data_append" ON "audit_personal_data" AS PERMISSIVE FOR INSERT TO "kiln_app" WITH CHECK (coop_id = kiln_coop_id());--> statement-breakpoint
CREATE POLICY "audit_personal_data_read" ON "audit_personal_data" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer'));