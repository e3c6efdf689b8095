"""Communication, productivity, commerce and CRM backends."""
from gen_corpus import B

B("slack", "Slack", pd={"channel_id": "The ID of the channel", "thread_ts": "The timestamp of the parent message in the format '1234567890.123456'. Timestamps in the format without the period can be converted by adding the period such that 6 numbers come after it.", "user_id": "The ID of the user"}, block=r"""
slack_list_channels | List public or pre-defined channels in the workspace with pagination | limit:i cursor
slack_post_message | Post a new message to a Slack channel | channel_id! text!
slack_reply_to_thread | Reply to a specific message thread in Slack | channel_id! thread_ts! text!
slack_add_reaction | Add a reaction emoji to a message | channel_id! timestamp! reaction!
slack_get_channel_history | Get recent messages from a channel | channel_id! limit:i
slack_get_thread_replies | Get all replies in a message thread | channel_id! thread_ts!
slack_get_users | Get a list of all users in the workspace with their basic profile information | cursor limit:i
slack_get_user_profile | Get detailed profile information for a specific user | user_id!
slack_search_messages | Search messages across the workspace using Slack search modifiers (in:#channel, from:@user, before:, after:) | query! count:i sort:e(score|timestamp)
slack_create_channel | Create a new public or private channel | name! is_private:b
slack_archive_channel | Archive a channel | channel_id!
slack_invite_to_channel | Invite one or more users to a channel | channel_id! user_ids!:a
slack_set_channel_topic | Set the topic of a channel | channel_id! topic!
slack_upload_file | Upload a file or text snippet to one or more channels | channel_ids!:a content filename title initial_comment
slack_schedule_message | Schedule a message to be posted to a channel at a future time | channel_id! text! post_at!:i
slack_update_message | Edit a message previously posted by the bot | channel_id! ts! text!
slack_delete_message | Delete a message | channel_id! ts!
slack_pin_message | Pin a message to a channel | channel_id! timestamp!
slack_set_status | Set the authenticated user's status text, emoji and expiration | status_text! status_emoji status_expiration:i
slack_open_dm | Open a direct message conversation with one or more users and return its channel ID | user_ids!:a
slack_list_user_groups | List user groups (handles like @oncall) in the workspace | include_users:b
""")

B("discord", "Discord", pd={"channelId": "Discord channel ID", "guildId": "Discord server (guild) ID", "messageId": "Discord message ID", "userId": "Discord user ID"}, block=r"""
send_message | Send a message to a specific Discord channel | channelId! message!
read_messages | Read recent messages from a Discord channel | channelId! limit:i
edit_message | Edit a message the bot sent | channelId! messageId! content!
delete_message | Delete a message from a channel | channelId! messageId! reason
add_reaction | Add an emoji reaction to a message | channelId! messageId! emoji!
remove_reaction | Remove an emoji reaction from a message | channelId! messageId! emoji!
list_channels | List the channels of a Discord server | guildId!
create_text_channel | Create a new text channel in a server | guildId! name! topic category_id
delete_channel | Delete a channel | channelId! reason
create_thread | Start a thread from a message or in a channel | channelId! name! messageId auto_archive_duration:i
get_server_info | Get information about a Discord server: name, member count, channels, roles | guildId!
list_members | List members of a server | guildId! limit:i
get_user_info | Get information about a Discord user | userId!
create_webhook | Create a webhook in a channel | channelId! name!
send_webhook_message | Send a message through a webhook, with a custom username and avatar | webhookUrl! content! username avatar_url
timeout_member | Time out a member so they cannot chat for a number of minutes | guildId! userId! minutes!:i reason
kick_member | Kick a member from the server | guildId! userId! reason
ban_member | Ban a user from the server | guildId! userId! reason delete_message_days:i
add_role | Give a role to a member | guildId! userId! roleId!
remove_role | Take a role away from a member | guildId! userId! roleId!
create_scheduled_event | Create a scheduled event (voice, stage or external) in a server | guildId! name! start_time! end_time description location
""")

B("teams", "Microsoft Teams", pd={"team_id": "ID of the team", "channel_id": "ID of the channel", "chat_id": "ID of the chat"}, block=r"""
list_teams | List the Microsoft Teams the signed-in user has joined |
list_channels | List channels of a team | team_id!
send_channel_message | Post a message to a Teams channel | team_id! channel_id! content! content_type:e(text|html)
list_channel_messages | Get recent messages in a Teams channel | team_id! channel_id! top:i
reply_to_channel_message | Reply to a message in a Teams channel | team_id! channel_id! message_id! content!
list_chats | List the signed-in user's one-on-one and group chats | top:i
send_chat_message | Send a message in a one-on-one or group chat | chat_id! content!
list_chat_messages | Get messages from a chat | chat_id! top:i
create_online_meeting | Create a Teams online meeting and return its join link | subject! start! end! attendees:a
get_presence | Get a user's presence (Available, Busy, Away, In a meeting) | user_id
""")

B("zoom", "Zoom", pd={"meeting_id": "The Zoom meeting ID"}, block=r"""
list_meetings | List scheduled Zoom meetings for the user | type:e(scheduled|live|upcoming|previous_meetings) page_size:i
create_meeting | Schedule a new Zoom meeting | topic! start_time! duration:i timezone agenda password settings:o
get_meeting | Get a Zoom meeting's details, including join URL and settings | meeting_id!
update_meeting | Update a Zoom meeting's topic, time or settings | meeting_id! topic start_time duration:i agenda
delete_meeting | Delete a scheduled Zoom meeting | meeting_id! notify_hosts:b
list_recordings | List cloud recordings of past meetings | from to page_size:i
get_meeting_transcript | Download the transcript of a recorded meeting | meeting_id!
list_past_participants | List who attended a past meeting | meeting_id!
""")

B("gmail", "Gmail", titles=True, pd={"to": "List of recipient email addresses", "messageId": "ID of the email message", "labelId": "ID of the label"}, block=r"""
send_email | Sends a new email | to!:a subject! body! cc:a bcc:a htmlBody mimeType attachments:a threadId inReplyTo
draft_email | Draft a new email | to!:a subject! body! cc:a bcc:a htmlBody
list_drafts | List email drafts | maxResults:i query
send_draft | Send an existing draft | draftId!
read_email | Retrieves the content of a specific email | messageId!
search_emails | Searches for emails using Gmail search syntax | query! maxResults:i
get_thread | Retrieve all messages in an email thread | threadId!
reply_to_email | Reply to an email, keeping it in the same thread | messageId! body! replyAll:b
forward_email | Forward an email to other recipients | messageId! to!:a note
modify_email | Modifies email labels (move to different folders) | messageId! labelIds:a addLabelIds:a removeLabelIds:a
mark_as_read | Mark one or more emails as read or unread | messageIds!:a read!:b
trash_email | Move an email to the trash | messageId!
delete_email | Permanently deletes an email | messageId!
batch_modify_emails | Modifies labels for multiple emails in batches | messageIds!:a addLabelIds:a removeLabelIds:a batchSize:i
list_email_labels | Retrieves all available Gmail labels |
create_label | Creates a new Gmail label | name! messageListVisibility labelListVisibility
update_label | Updates an existing Gmail label | id! name messageListVisibility labelListVisibility
delete_label | Deletes a Gmail label | id!
create_filter | Creates a new Gmail filter with custom criteria and actions | criteria!:o action!:o
list_filters | Retrieves all Gmail filters |
download_attachment | Downloads an email attachment to a specified location | messageId! attachmentId! filename savePath
""")

B("outlook", "Outlook", pd={"message_id": "ID of the message", "event_id": "ID of the calendar event", "folder": "Mail folder name or ID (inbox, sentitems, drafts, ...)"}, block=r"""
list_messages | List messages in the user's Outlook mailbox, newest first, optionally in a folder or matching a search | folder search top:i unread_only:b
get_message | Get the full content of an Outlook email message | message_id!
send_mail | Send an email from the user's Outlook account | to!:a subject! body! cc:a importance:e(low|normal|high)
reply_to_message | Reply to an Outlook message | message_id! comment! reply_all:b
move_message | Move a message to another mail folder | message_id! destination_folder!
delete_message | Delete an Outlook message | message_id!
list_mail_folders | List mail folders |
create_draft | Create a draft message in Outlook | to:a subject! body!
list_calendar_events | List events in the user's Outlook calendar within a time window | start! end! calendar_id
create_calendar_event | Create an event in the user's Outlook calendar and send invitations | subject! start! end! attendees:a location body is_online_meeting:b
update_calendar_event | Update an Outlook calendar event | event_id! subject start end location attendees:a
cancel_calendar_event | Cancel an Outlook calendar event and notify attendees | event_id! comment
find_meeting_times | Suggest meeting times when all attendees are free | attendees!:a duration_minutes!:i start end
list_contacts | List the user's Outlook contacts | search top:i
create_contact | Add a contact to the user's Outlook address book | given_name! surname email_addresses:a business_phones:a company_name
""")

B("gcal", "Google Calendar", pd={"calendarId": "ID of the calendar (use 'primary' for the main calendar)", "eventId": "ID of the event"}, block=r"""
list_calendars | List all available calendars |
list_events | List events from one or more calendars within a time range | calendarId! timeMin timeMax maxResults:i
search_events | Search for events in a calendar by text query | calendarId! query! timeMin timeMax
get_event | Get details of a specific event by ID | calendarId! eventId!
create_event | Create a new calendar event | calendarId! summary! start! end! description location attendees:a timeZone recurrence:a reminders:o colorId
update_event | Update an existing calendar event with recurring event modification scope support | calendarId! eventId! summary start end description location attendees:a modificationScope:e(thisEventOnly|all|thisAndFollowing)
delete_event | Delete a calendar event | calendarId! eventId! sendUpdates:e(all|externalOnly|none)
respond_to_event | Respond to a calendar event invitation with Accept, Decline, Maybe, or No Response | calendarId! eventId! response!:e(accepted|declined|tentative|needsAction) comment
get_freebusy | Query free/busy information for calendars. Note: Time range is limited to a maximum of 3 months between timeMin and timeMax | calendars!:a timeMin! timeMax! timeZone
quick_add_event | Create an event from a natural-language text like 'Lunch with Ana tomorrow at 1pm' | calendarId! text!
list_colors | List available color IDs and their meanings for calendar events |
create_calendar | Create a new secondary calendar | summary! timeZone description
get_current_time | Get current system time and timezone information | timeZone
""")

B("gdrive", "Google Drive", pd={"fileId": "The ID of the Drive file", "folderId": "The ID of the parent folder", "mimeType": "MIME type of the file"}, block=r"""
search | Search for files in Google Drive | query! pageSize:i pageToken
list_files | List files and folders in a Google Drive folder | folderId pageSize:i orderBy
get_file_metadata | Get metadata about a file: owner, size, modified time, sharing, links | fileId!
read_file | Read the contents of a file from Google Drive. Google Docs are exported as Markdown, Sheets as CSV, Slides as text | fileId!
download_file | Download a binary file from Google Drive | fileId! savePath
upload_file | Upload a local file to Google Drive | localPath! folderId name mimeType
create_folder | Create a new folder in Google Drive | name! parentFolderId
create_document | Create a new Google Doc with optional initial content | title! content folderId
move_file | Move a file to a different folder | fileId! newFolderId!
copy_file | Make a copy of a file | fileId! name folderId
rename_file | Rename a file or folder | fileId! newName!
delete_file | Move a file to the trash (or delete permanently) | fileId! permanent:b
share_file | Share a file with a user, group or anyone with the link | fileId! role!:e(reader|commenter|writer) type!:e(user|group|domain|anyone) emailAddress sendNotification:b
list_permissions | List who has access to a file | fileId!
remove_permission | Remove someone's access to a file | fileId! permissionId!
list_shared_drives | List shared drives the user belongs to | pageSize:i
list_revisions | List the revision history of a file | fileId!
""")

B("sheets", "Google Sheets", pd={"spreadsheet_id": "The ID of the spreadsheet (found in its URL)", "sheet": "The name of the sheet (tab)"}, block=r"""
list_spreadsheets | List spreadsheets in the user's Drive or a folder | folder_id
create_spreadsheet | Create a new spreadsheet | title! folder_id
get_sheet_data | Get data from a specific sheet in a Google Spreadsheet, optionally a range in A1 notation | spreadsheet_id! sheet! range
get_multiple_sheet_data | Get data from multiple specific ranges in Google Spreadsheets | queries!:a
update_cells | Update cells in a Google Spreadsheet | spreadsheet_id! sheet! range! data!:a
batch_update_cells | Batch update multiple ranges in a Google Spreadsheet | spreadsheet_id! sheet! ranges!:o
append_rows | Append rows after the last row with data in a sheet | spreadsheet_id! sheet! rows!:a
clear_range | Clear the values in a range, keeping formatting | spreadsheet_id! sheet! range!
list_sheets | List all sheets (tabs) in a spreadsheet | spreadsheet_id!
add_sheet | Add a new sheet (tab) to an existing spreadsheet | spreadsheet_id! title!
rename_sheet | Rename a sheet in a spreadsheet | spreadsheet_id! sheet! new_name!
copy_sheet | Copy a sheet from one spreadsheet to another | src_spreadsheet! src_sheet! dst_spreadsheet! dst_sheet!
share_spreadsheet | Share a spreadsheet with multiple users via email, assigning specific roles | spreadsheet_id! recipients!:a send_notification:b
""")

B("dropbox", "Dropbox", pd={"path": "Dropbox path, starting with '/'"}, block=r"""
list_folder | List the contents of a Dropbox folder | path! recursive:b limit:i
search | Search for files and folders in Dropbox by name or content | query! path max_results:i
upload | Upload a file to Dropbox | path! content! mode:e(add|overwrite)
download | Download a file from Dropbox | path!
create_folder | Create a folder in Dropbox | path!
delete | Delete a file or folder in Dropbox | path!
move | Move or rename a file or folder | from_path! to_path!
copy | Copy a file or folder to another location | from_path! to_path!
get_metadata | Get metadata for a file or folder | path!
create_shared_link | Create a shareable link to a file or folder | path! expires visibility:e(public|team_only|password)
list_shared_links | List shared links | path
get_account_info | Get information about the current Dropbox account, including space usage |
""")

stripe = B("stripe", "Stripe", pd={"customer": "The ID of the customer", "invoice": "The ID of the invoice", "subscription": "The ID of the subscription", "payment_intent": "The ID of the PaymentIntent to refund", "amount": "The amount in cents"}, block=r"""
create_customer | This tool will create a customer in Stripe.\n\nIt takes two arguments:\n- name (str): The name of the customer.\n- email (str, optional): The email of the customer. | name! email
list_customers | This tool will fetch a list of Customers from Stripe.\n\nIt takes two arguments:\n- limit (int, optional): The number of customers to return.\n- email (str, optional): A case-sensitive filter on the list based on the customer's email field. | limit:i email
create_product | This tool will create a product in Stripe.\n\nIt takes two arguments:\n- name (str): The name of the product.\n- description (str, optional): The description of the product. | name! description
list_products | This tool will fetch a list of Products from Stripe. | limit:i
create_price | This tool will create a price in Stripe. If a product has not already been specified, a product should be created first. | product! unit_amount!:i currency! recurring:o
list_prices | This tool will fetch a list of Prices from Stripe. | product limit:i
create_payment_link | This tool will create a payment link in Stripe. | price! quantity!:i redirect_url
create_invoice | This tool will create an invoice in Stripe. | customer! days_until_due:i
list_invoices | This tool will fetch a list of Invoices from Stripe. | customer limit:i
create_invoice_item | This tool will create an invoice item in Stripe. | customer! price! invoice!
finalize_invoice | This tool will finalize an invoice in Stripe. | invoice!
retrieve_balance | This tool will retrieve the balance from Stripe. It takes no input. |
create_refund | This tool will refund a payment intent in Stripe. | payment_intent! amount:i
list_payment_intents | This tool will list payment intents in Stripe. | customer limit:i
list_subscriptions | This tool will list all subscriptions in Stripe. | customer price status limit:i
cancel_subscription | This tool will cancel a subscription in Stripe. | subscription!
update_subscription | This tool will update an existing subscription in Stripe. If changing an existing subscription item, the existing subscription item has to be set to deleted and the new one has to be added. | subscription! proration_behavior items:a
list_coupons | This tool will fetch a list of Coupons from Stripe. | limit:i
create_coupon | This tool will create a coupon in Stripe. | name! percent_off:n amount_off:i currency duration:e(once|repeating|forever) duration_in_months:i
list_disputes | This tool will fetch a list of disputes in Stripe. | charge payment_intent limit:i
update_dispute | When you receive a dispute, contacting your customer is always the best first step. This tool helps you submit evidence to win the dispute. | dispute! evidence:o submit:b
search_stripe_resources | Search Stripe objects (customers, payment intents, charges, invoices, prices, products, subscriptions) using Stripe's search query language. | query! limit:i
fetch_stripe_resources | Retrieve a Stripe object by ID (e.g. cus_..., pi_..., in_...). | id!
search_stripe_documentation | Search and retrieve relevant Stripe documentation and knowledge to answer integration questions. | question! language
""")
stripe.crud("payout", ops="lg", list_params="status arrival_date limit:i", detail="its amount, arrival date and destination", id_param="payout", verbs={"g": "retrieve"})
stripe.crud("charge", ops="lg", scope="customer", list_params="limit:i created", detail="amount, outcome and card details", id_param="charge", verbs={"g": "retrieve"})
stripe.crud("customer", ops="gu", fields="name email phone description address:o metadata:o", detail="email, address, default payment method", id_param="customer", verbs={"g": "retrieve"})
stripe.add("void_invoice", "This tool will mark an invoice as void in Stripe. Void invoices cannot be paid or edited.", "invoice!")
stripe.add("send_invoice", "This tool will email a finalized invoice to the customer.", "invoice!")

shopify = B("shopify", "Shopify", pd={"product_id": "Shopify product ID (gid://shopify/Product/...)", "order_id": "Shopify order ID", "customer_id": "Shopify customer ID"}, block=r"""
get_products | Get all products or search by title | searchTitle limit:i
get_product | Get a specific product by ID, including its variants, images and inventory | product_id!
create_product | Create a new product in the store | title! descriptionHtml vendor productType tags:a status:e(ACTIVE|DRAFT|ARCHIVED) variants:a
update_product | Update a product's title, description, price, tags or status | product_id! title descriptionHtml vendor tags:a status
delete_product | Delete a product from the store | product_id!
get_orders | Get orders with optional filtering by status | status:e(any|open|closed|cancelled) limit:i query
get_order | Get a specific order by ID, with line items, customer and fulfillment status | order_id!
cancel_order | Cancel an order, optionally restocking items and refunding the customer | order_id! reason:e(customer|fraud|inventory|declined|other) refund:b restock:b notify_customer:b
fulfill_order | Create a fulfillment for an order with tracking information | order_id! tracking_number tracking_company notify_customer:b
refund_order | Refund all or part of an order | order_id! amount note line_items:a
get_customers | Get customers or search by name/email | searchQuery limit:i
get_customer_orders | Get the orders placed by a specific customer | customer_id! limit:i
update_customer | Update a customer's information | customer_id! firstName lastName email phone tags:a note
get_collections | Get product collections | limit:i query
create_collection | Create a manual or smart product collection | title! description rules:a
add_product_to_collection | Add products to a manual collection | collection_id! product_ids!:a
get_inventory_levels | Get available inventory for a product variant at each location | variant_id! location_id
adjust_inventory | Adjust the available quantity of an inventory item at a location | inventory_item_id! location_id! delta!:i reason
create_discount_code | Create a basic discount code (percentage or fixed amount) | title! code! value!:n value_type!:e(percentage|fixed_amount) starts_at ends_at usage_limit:i
create_draft_order | Create a draft order, e.g. for a phone order or custom quote | line_items!:a customer_id email note
complete_draft_order | Complete a draft order, turning it into an order | draft_order_id! payment_pending:b
get_shop | Get shop details: name, domain, currency, plan, timezone |
search_dev_docs | Search shopify.dev documentation for Admin API, Liquid and app development questions | prompt!
introspect_admin_schema | Introspect the Shopify Admin GraphQL schema to find types, queries and mutations | query! filter:a
""")

B("salesforce", "Salesforce", pd={"objectName": "API name of the Salesforce object, e.g. Account, Opportunity, Custom__c"}, block=r"""
search_objects | Search for standard and custom objects by partial name match | searchPattern!
describe_object | Get detailed schema metadata for an object: fields, relationships and picklist values | objectName!
query_records | Query records with relationship support using SOQL-style parameters | objectName! fields!:a whereClause orderBy limit:i
aggregate_query | Run aggregate queries with GROUP BY (counts, sums, averages) | objectName! selectFields!:a groupByFields!:a whereClause havingClause
dml_records | Perform data manipulation: insert, update, delete or upsert records | operation!:e(insert|update|delete|upsert) objectName! records!:a externalIdField
manage_object | Create new custom objects or modify existing ones | operation!:e(create|update) objectName! label pluralLabel description
manage_field | Create or modify custom fields on an object | operation!:e(create|update) objectName! fieldName! label type picklistValues:a
search_all | Search across multiple objects using SOSL | searchTerm! objects!:a searchIn
read_apex | Read the source of Apex classes | className namePattern includeMetadata:b
write_apex | Create or update an Apex class | operation!:e(create|update) className! body! apiVersion
execute_anonymous | Execute anonymous Apex code and return the debug log | apexCode! logLevel
manage_debug_logs | Enable, disable or retrieve debug logs for a user | operation!:e(enable|disable|retrieve) username! logLevel
list_reports | List Salesforce reports, optionally filtered by folder | folderName search
run_report | Run a Salesforce report and return its rows | reportId! filters:a
""")

B("hubspot", "HubSpot", style="kebab", pd={"objectType": "The CRM object type (contacts, companies, deals, tickets, ...)"}, block=r"""
hubspot-get-user-details | Authenticates and analyzes the current HubSpot access token, returning the owner ID, hub ID and scopes. Call this first. |
hubspot-list-objects | Retrieves a paginated list of CRM objects of a specified type (contacts, companies, deals...). | objectType! limit:i after properties:a associations:a archived:b
hubspot-search-objects | Performs advanced filtered searches across HubSpot object types using complex criteria. | objectType! query filterGroups:a properties:a sorts:a limit:i
hubspot-batch-create-objects | Creates multiple HubSpot objects of the same type in a single API call. | objectType! inputs!:a
hubspot-batch-update-objects | Updates multiple existing HubSpot objects of the same type in a single API call. | objectType! inputs!:a
hubspot-batch-read-objects | Retrieves multiple HubSpot objects of the same type by ID in a single API call. | objectType! inputs!:a properties:a
hubspot-get-schemas | Retrieves all custom object schemas defined in the HubSpot account. |
hubspot-list-properties | Retrieves a complete catalog of properties for any CRM object type. | objectType! archived:b
hubspot-get-property | Retrieves detailed information about a specific property. | objectType! propertyName!
hubspot-create-property | Creates new custom properties for HubSpot object types. | objectType! name! label! type! fieldType! groupName! description options:a
hubspot-list-associations | Retrieves existing relationships between a specific object and other objects of a particular type. | objectType! objectId! toObjectType!
hubspot-batch-create-associations | Establishes relationships between multiple objects (e.g. contact to company) in a single API call. | fromObjectType! toObjectType! types!:a inputs!:a
hubspot-create-engagement | Creates a HubSpot engagement (Note or Task) associated with contacts, companies, deals, or tickets. | type!:e(NOTE|TASK) ownerId! associations!:o metadata!:o
hubspot-get-engagement | Retrieves a HubSpot engagement by ID. | engagementId!
hubspot-list-workflows | Retrieves a paginated list of workflows from the HubSpot account. | limit:i after
hubspot-generate-feedback-link | Use this tool when the user wants to submit feedback about HubSpot MCP tool. |
""")

zendesk = B("zendesk", "Zendesk", pd={"ticket_id": "The ID of the ticket to retrieve"}, block=r"""
get_ticket | Retrieve a Zendesk ticket by its ID | ticket_id!:i
get_ticket_comments | Retrieve all comments (public replies and internal notes) for a Zendesk ticket by its ID | ticket_id!:i
create_ticket_comment | Create a new comment on an existing Zendesk ticket | ticket_id!:i comment! public:b
create_ticket | Create a new Zendesk ticket | subject! description! requester_email priority:e(low|normal|high|urgent) type:e(problem|incident|question|task) tags:a
update_ticket | Update a Zendesk ticket's status, priority, assignee or tags | ticket_id!:i status:e(new|open|pending|hold|solved|closed) priority assignee_id:i group_id:i tags:a
search_tickets | Search Zendesk tickets using the Zendesk search syntax | query! sort_by sort_order
merge_tickets | Merge one or more tickets into a target ticket | target_ticket_id!:i source_ticket_ids!:a comment
list_macros | List available macros (canned responses) | active:b
apply_macro | Preview the changes a macro would make to a ticket | ticket_id!:i macro_id!:i
list_views | List ticket views |
get_view_tickets | Get the tickets in a view | view_id!:i
search_help_center | Search Help Center articles | query! locale
get_article | Get a Help Center article by ID | article_id!:i
create_article | Create a Help Center article in a section | section_id!:i title! body! draft:b
""")
zendesk.crud("user", ops="lgc", fields="name! email! role:e(end-user|agent|admin) organization_id:i", list_params="role page:i", detail="name, email, role and organization")
zendesk.crud("organization", ops="lg", list_params="page:i", detail="domain names, tags and notes")
zendesk.crud("group", ops="l", list_params="page:i")

B("intercom", "Intercom", pd={"conversation_id": "The Intercom conversation ID", "contact_id": "The Intercom contact ID"}, block=r"""
search_conversations | Search Intercom conversations by state, assignee, tag or text | query state:e(open|closed|snoozed) assignee_id created_after per_page:i
get_conversation | Get an Intercom conversation with all its parts (messages and notes) | conversation_id!
reply_to_conversation | Reply to a conversation as an admin, publicly or as an internal note | conversation_id! body! message_type:e(comment|note) admin_id!
close_conversation | Close an open conversation | conversation_id! admin_id! body
snooze_conversation | Snooze a conversation until a given time | conversation_id! admin_id! snoozed_until!:i
assign_conversation | Assign a conversation to a teammate or team | conversation_id! assignee_id! admin_id!
search_contacts | Search Intercom contacts (users and leads) by email, name or custom attributes | query! per_page:i
get_contact | Get an Intercom contact by ID | contact_id!
create_contact | Create a user or lead in Intercom | role!:e(user|lead) email name phone custom_attributes:o
tag_contact | Add a tag to a contact | contact_id! tag_id!
list_articles | List Help Center articles in Intercom | per_page:i
""")

B("twilio", "Twilio", pd={"to": "Destination phone number in E.164 format", "from": "Twilio phone number to send from"}, block=r"""
send_sms | Send an SMS or MMS message | to! from! body! media_url:a
list_messages | List sent and received messages, filtered by number or date | to from date_sent_after limit:i
get_message | Fetch a message and its delivery status | message_sid!
make_call | Place an outbound voice call that plays TwiML or a message | to! from! twiml url
list_calls | List voice calls | to from status start_time_after limit:i
list_phone_numbers | List the incoming phone numbers on the account | phone_number friendly_name
lookup_phone_number | Look up carrier and caller-name information for a phone number | phone_number! fields:a
send_verification | Send a one-time verification code via SMS, voice or email | service_sid! to! channel!:e(sms|call|email|whatsapp)
""")

B("sendgrid", "SendGrid", pd={"template_id": "ID of the dynamic template"}, block=r"""
send_email | Send an email through SendGrid, optionally with a dynamic template | to!:a from! subject content template_id dynamic_template_data:o
list_templates | List dynamic transactional templates |
get_template | Get a template with its versions and content | template_id!
list_contacts | List marketing contacts | page_size:i
add_contacts | Add or update marketing contacts, optionally into lists | contacts!:a list_ids:a
get_email_stats | Get delivery statistics: requests, delivered, opens, clicks, bounces | start_date! end_date aggregated_by:e(day|week|month)
""")

B("mailchimp", "Mailchimp", pd={"list_id": "The audience (list) ID", "campaign_id": "The campaign ID"}, block=r"""
list_audiences | List the audiences (lists) in the Mailchimp account | count:i
add_member | Add or update a subscriber in an audience | list_id! email_address! status!:e(subscribed|unsubscribed|pending) merge_fields:o tags:a
list_campaigns | List email campaigns with their status | status:e(save|paused|schedule|sending|sent) count:i
create_campaign | Create a regular email campaign for an audience | list_id! subject_line! from_name! reply_to! title
send_campaign | Send a campaign immediately | campaign_id!
get_campaign_report | Get a sent campaign's report: opens, clicks, bounces, unsubscribes | campaign_id!
""")

B("todoist", "Todoist", pd={"task_id": "The ID of the task", "project_id": "The ID of the project"}, block=r"""
get_tasks | Get a list of active tasks, filtered by project, label or a Todoist filter such as 'today, overdue' or 'p1 & #Work' | project_id label filter limit:i
create_task | Create a new task in Todoist with optional description, due date, priority and labels | content! description project_id due_string due_date priority:i labels:a
update_task | Update an existing task's content, due date or priority | task_id! content description due_string priority:i labels:a
complete_task | Mark a task as complete | task_id!
reopen_task | Reopen a completed task | task_id!
delete_task | Delete a task | task_id!
get_projects | List all projects |
create_project | Create a new project | name! parent_id color is_favorite:b
get_sections | List the sections of a project | project_id!
add_comment | Add a comment to a task or project | content! task_id project_id
get_labels | List personal labels |
quick_add | Add a task using Todoist's natural-language quick add syntax, e.g. 'Call mom tomorrow 5pm #Personal p1' | text!
""")

B("trello", "Trello", pd={"boardId": "ID of the Trello board", "listId": "ID of the list", "cardId": "ID of the card"}, block=r"""
get_boards | List the boards the user is a member of |
get_lists | Retrieve all lists from the specified board | boardId
get_cards_by_list_id | Fetch cards from a specific Trello list | listId!
get_my_cards | Fetch all cards assigned to the current user |
add_card_to_list | Add a new card to a specified list | listId! name! description dueDate labels:a
update_card_details | Update an existing card's details | cardId! name description dueDate labels:a dueComplete:b
move_card | Move a card to a different list | cardId! listId!
archive_card | Send a card to the archive | cardId!
add_list_to_board | Add a new list to the board | boardId name!
archive_list | Send a list to the archive | listId!
add_comment | Add a comment to a card | cardId! text!
get_recent_activity | Fetch recent activity on the Trello board | boardId limit:i
attach_image_to_card | Attach an image to a card directly from a URL | cardId! imageUrl! name
add_checklist_item | Add an item to a checklist on a card | cardId! checklistName! text!
""")

B("asana", "Asana", pd={"task_id": "The task ID", "project_id": "The project ID", "workspace": "The workspace gid"}, block=r"""
asana_list_workspaces | List all available workspaces in Asana | opt_fields
asana_search_projects | Search for projects in Asana using name pattern matching | workspace! name_pattern! archived:b
asana_search_tasks | Search tasks in a workspace with advanced filtering options | workspace! text resource_subtype completed:b assignee_any projects_any due_on_before
asana_get_task | Get detailed information about a specific task | task_id! opt_fields
asana_create_task | Create a new task in a project | project_id! name! notes html_notes due_on assignee followers:a parent
asana_update_task | Update an existing task's details | task_id! name notes due_on assignee completed:b
asana_get_task_stories | Get comments and stories for a specific task | task_id!
asana_create_task_story | Create a comment or story on a task | task_id! text!
asana_add_task_dependencies | Set dependencies for a task | task_id! dependencies!:a
asana_create_subtask | Create a new subtask for an existing task | parent_task_id! name! notes due_on assignee
asana_get_project | Get detailed information about a specific project | project_id!
asana_get_project_sections | Get sections in a project | project_id!
asana_get_project_status | Get a project status update | project_status_gid!
asana_create_project_status | Create a new status update for a project | project_gid! text! color:e(green|yellow|red) title
asana_get_tags_for_workspace | Get tags in a workspace | workspace_gid!
""")

B("airtable", "Airtable", pd={"baseId": "The ID of the Airtable base", "tableId": "The ID or name of the table"}, block=r"""
list_bases | Lists all accessible Airtable bases |
list_tables | Lists all tables in a specific base | baseId! detailLevel:e(tableIdentifiersOnly|identifiersOnly|full)
describe_table | Gets detailed information about a specific table | baseId! tableId!
list_records | Lists records from a specified Airtable table | baseId! tableId! maxRecords:i filterByFormula view sort:a
search_records | Search for records containing specific text | baseId! tableId! searchTerm! fieldIds:a maxRecords:i
get_record | Gets a specific record by ID | baseId! tableId! recordId!
create_record | Creates a new record in a table | baseId! tableId! fields!:o
update_records | Updates up to 10 records in a table | baseId! tableId! records!:a
delete_records | Deletes records from a table | baseId! tableId! recordIds!:a
create_table | Creates a new table in a base | baseId! name! description fields!:a
create_field | Creates a new field in a table | baseId! tableId! field!:o
""")

B("calendly", "Calendly", pd={"event_uuid": "UUID of the scheduled event"}, block=r"""
get_current_user | Get the Calendly user behind the token, including the scheduling URL |
list_event_types | List the user's event types (meeting templates), e.g. '30 minute meeting' | active:b
list_scheduled_events | List scheduled events (booked meetings), optionally within a time range | min_start_time max_start_time status:e(active|canceled) count:i
get_scheduled_event | Get details of a scheduled event | event_uuid!
cancel_scheduled_event | Cancel a scheduled event and notify invitees | event_uuid! reason
list_invitees | List the invitees of a scheduled event with their answers to booking questions | event_uuid!
create_scheduling_link | Create a single-use scheduling link for an event type | event_type! max_event_count:i
get_availability | Get available times for an event type within a date range | event_type! start_time! end_time!
""")

B("figma", "Figma", pd={"fileKey": "The key of the Figma file (from its URL)", "nodeId": "The ID of the node, e.g. 1234:5678"}, block=r"""
get_figma_data | Obtain the layout information, styles and components of a Figma file or a specific node | fileKey! nodeId depth:i
download_figma_images | Download SVG and PNG images used in a Figma file based on the IDs of image or icon nodes | fileKey! nodes!:a localPath! pngScale:n
get_code | Generate UI code (React + Tailwind by default) for the selected Figma node | nodeId clientLanguages clientFrameworks
get_variable_defs | Get the variables and styles (colors, spacing, typography tokens) used in the selection | nodeId
get_screenshot | Generate a screenshot of the selected node | nodeId
get_metadata | Get an XML outline of the selection: node IDs, layer types, names, positions and sizes | nodeId
get_code_connect_map | Get the mapping between Figma node IDs and code components in the codebase | nodeId
get_comments | Get the comments on a Figma file | fileKey!
post_comment | Post a comment on a Figma file, optionally pinned to a node | fileKey! message! nodeId
get_file_components | List the published components in a Figma file | fileKey!
get_file_styles | List the published styles in a Figma file | fileKey!
get_file_versions | List the version history of a Figma file | fileKey!
create_design_system_rules | Generate design system rules for the repository so generated code follows your conventions | clientLanguages clientFrameworks
""")
