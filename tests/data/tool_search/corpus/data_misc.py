"""Browser, web, media, knowledge and home backends."""
from gen_corpus import B

B("puppeteer", "Puppeteer", pd={"selector": "CSS selector for the element"}, block=r"""
puppeteer_navigate | Navigate to a URL | url! launchOptions:o allowDangerous:b
puppeteer_screenshot | Take a screenshot of the current page or a specific element | name! selector width:i height:i encoded:b
puppeteer_click | Click an element on the page | selector!
puppeteer_fill | Fill out an input field | selector! value!
puppeteer_select | Select an element on the page with Select tag | selector! value!
puppeteer_hover | Hover an element on the page | selector!
puppeteer_evaluate | Execute JavaScript in the browser console | script!
""")

B("playwright", "Playwright", pd={"ref": "Exact target element reference from the page snapshot", "element": "Human-readable element description used to obtain permission to interact with the element"}, block=r"""
browser_navigate | Navigate to a URL | url!
browser_navigate_back | Go back to the previous page |
browser_click | Perform click on a web page | element! ref! doubleClick:b button:e(left|right|middle)
browser_type | Type text into editable element | element! ref! text! submit:b slowly:b
browser_hover | Hover over element on page | element! ref!
browser_drag | Perform drag and drop between two elements | startElement! startRef! endElement! endRef!
browser_select_option | Select an option in a dropdown | element! ref! values!:a
browser_press_key | Press a key on the keyboard | key!
browser_fill_form | Fill multiple form fields | fields!:a
browser_snapshot | Capture accessibility snapshot of the current page, this is better than screenshot |
browser_take_screenshot | Take a screenshot of the current page. You can't perform actions based on the screenshot, use browser_snapshot for actions. | type:e(png|jpeg) filename element ref fullPage:b
browser_pdf_save | Save page as PDF | filename
browser_evaluate | Evaluate JavaScript expression on page or element | function! element ref
browser_console_messages | Returns all console messages |
browser_network_requests | Returns all network requests since loading the page |
browser_handle_dialog | Handle a dialog | accept!:b promptText
browser_file_upload | Upload one or multiple files | paths!:a
browser_wait_for | Wait for text to appear or disappear or a specified time to pass | time:n text textGone
browser_resize | Resize the browser window | width!:i height!:i
browser_tabs | List, create, close, or select a browser tab. | action!:e(list|new|close|select) index:i
browser_close | Close the page |
browser_install | Install the browser specified in the config. Call this if you get an error about the browser not being installed. |
""")

B("fetch", "Fetch", pd={"url": "URL of the website to fetch", "max_length": "Maximum number of characters to return", "start_index": "Start output at this character index, useful if a previous fetch was truncated and more context is required", "raw": "Get the actual HTML content of the requested page, without simplification"}, block=r"""
fetch | Fetches a URL from the internet and optionally extracts its contents as markdown.\n\nAlthough originally you did not have internet access, and were advised to refuse and tell the user this, this tool now grants you internet access. Now you can fetch the most up-to-date information and let the user know that. | url! max_length:i start_index:i raw:b
""")

B("webfetch", "web fetcher", pd={"url": "URL of the website to fetch", "headers": "Optional headers to include in the request"}, block=r"""
fetch_html | Fetch a website and return the content as HTML | url! headers:o
fetch_markdown | Fetch a website and return the content as Markdown | url! headers:o
fetch_txt | Fetch a website, return the content as plain text (no HTML) | url! headers:o
fetch_json | Fetch a JSON file from a URL | url! headers:o
""")

B("brave", "Brave Search", pd={"query": "Search query (max 400 chars, 50 words)", "count": "Number of results (1-20, default 10)"}, block=r"""
brave_web_search | Performs a web search using the Brave Search API, ideal for general queries, news, articles, and online content. Use this for broad information gathering, recent events, or when you need diverse web sources. Supports pagination, content filtering, and freshness controls. | query! count:i offset:i freshness
brave_local_search | Searches for local businesses and places using Brave's Local Search API. Best for queries related to physical locations, businesses, restaurants, services, etc. Returns detailed information including business names, addresses, ratings, phone numbers and opening hours. | query! count:i
brave_news_search | Searches for news articles using Brave's News Search API. Use this for current events, breaking news and recent developments. | query! count:i freshness
brave_image_search | Performs an image search using the Brave Search API. | query! count:i safesearch
brave_video_search | Searches for videos using the Brave Search API. | query! count:i
""")

B("tavily", "Tavily", style="kebab", pd={"query": "Search query"}, block=r"""
tavily-search | A powerful web search tool that provides comprehensive, real-time results using Tavily's AI search engine. Returns relevant web content with customizable parameters for result count, content type, and domain filtering. | query! search_depth:e(basic|advanced) topic:e(general|news) days:i time_range max_results:i include_domains:a exclude_domains:a
tavily-extract | A powerful web content extraction tool that retrieves and processes raw content from specified URLs, ideal for data collection, content analysis, and research tasks. | urls!:a extract_depth:e(basic|advanced) include_images:b
tavily-crawl | A powerful web crawler that initiates a structured web crawl starting from a specified base URL. | url! max_depth:i max_breadth:i limit:i instructions
tavily-map | A powerful web mapping tool that creates a structured map of website URLs, allowing you to discover and analyze site structure, content organization, and navigation paths. | url! max_depth:i
""")

B("weather", "National Weather Service", pd={"state": "Two-letter US state code (e.g. CA, NY)", "latitude": "Latitude of the location", "longitude": "Longitude of the location", "city": "City name, optionally with country"}, block=r"""
get_alerts | Get weather alerts for a US state. | state!
get_forecast | Get weather forecast for a location. | latitude!:n longitude!:n
get_current_weather | Get current weather conditions for a city: temperature, humidity, wind and description | city!
get_hourly_forecast | Get the hour-by-hour forecast for the next 48 hours | latitude!:n longitude!:n
get_air_quality | Get air quality index and pollutant levels for a location | latitude!:n longitude!:n
get_historical_weather | Get observed weather for a location on a past date | latitude!:n longitude!:n date!
""")

B("maps", "Google Maps", pd={"address": "The address to geocode", "place_id": "The place ID"}, block=r"""
maps_geocode | Convert an address into geographic coordinates | address!
maps_reverse_geocode | Convert coordinates into an address | latitude!:n longitude!:n
maps_search_places | Search for places using Google Places API | query! location:o radius:n
maps_place_details | Get detailed information about a specific place | place_id!
maps_distance_matrix | Calculate travel distance and time for multiple origins and destinations | origins!:a destinations!:a mode:e(driving|walking|bicycling|transit)
maps_elevation | Get elevation data for locations on the earth | locations!:a
maps_directions | Get directions between two points | origin! destination! mode:e(driving|walking|bicycling|transit)
""")

B("spotify", "Spotify", pd={"uri": "Spotify URI of the track, album, artist or playlist", "playlistId": "The Spotify ID of the playlist", "deviceId": "The Spotify device ID"}, block=r"""
searchSpotify | Search for tracks, albums, artists, or playlists on Spotify | query! type!:e(track|album|artist|playlist) limit:i
getNowPlaying | Get information about the currently playing track on Spotify |
playMusic | Start playing a Spotify track, album, artist, or playlist | uri type id deviceId
pausePlayback | Pause Spotify playback on the active device | deviceId
resumePlayback | Resume Spotify playback on the active device | deviceId
skipToNext | Skip to the next track in the current Spotify playback queue | deviceId
skipToPrevious | Skip to the previous track in the current Spotify playback queue | deviceId
setVolume | Set the playback volume to a specific percentage | volumePercent!:i deviceId
addToQueue | Adds a track, album, artist or playlist to the playback queue | uri type id deviceId
getQueue | Get a list of the currently playing track and the next items in your Spotify queue |
getAvailableDevices | Get information about the user's available Spotify Connect devices |
createPlaylist | Create a new playlist on Spotify | name! description public:b
addTracksToPlaylist | Add tracks to a Spotify playlist | playlistId! trackIds!:a position:i
removeTracksFromPlaylist | Remove tracks from a Spotify playlist | playlistId! trackIds!:a
getMyPlaylists | Get a list of the current user's playlists on Spotify | limit:i
getPlaylistTracks | Get a list of tracks in a Spotify playlist | playlistId! limit:i
getRecentlyPlayed | Get a list of recently played tracks on Spotify | limit:i
getUsersSavedTracks | Get a list of tracks saved in the user's "Liked Songs" library | limit:i offset:i
saveOrRemoveTracks | Save or remove tracks from the user's "Liked Songs" library | trackIds!:a action!:e(save|remove)
getTopItems | Get the user's top artists or tracks over a time range | type!:e(artists|tracks) time_range:e(short_term|medium_term|long_term) limit:i
getAlbums | Get detailed information about one or more albums by their Spotify IDs | albumIds!:a
""")

B("youtube", "YouTube", pd={"videoId": "The YouTube video ID", "channelId": "The YouTube channel ID"}, block=r"""
search_videos | Search for videos on YouTube | query! maxResults:i order:e(relevance|date|viewCount) publishedAfter
get_video_details | Get detailed information about a YouTube video: title, description, duration, view and like counts | videoId!
get_transcript | Retrieve the transcript (captions) of a YouTube video | videoId! language
get_channel_details | Get information about a YouTube channel: subscribers, video count, description | channelId!
list_channel_videos | List the most recent videos uploaded by a channel | channelId! maxResults:i
get_playlist_items | List the videos in a YouTube playlist | playlistId! maxResults:i
get_video_comments | Get top-level comments on a video | videoId! maxResults:i order:e(time|relevance)
get_trending_videos | Get the currently trending videos in a region | regionCode categoryId maxResults:i
""")

B("memory", "knowledge graph memory", pd={"entityNames": "Names of the entities"}, block=r"""
create_entities | Create multiple new entities in the knowledge graph | entities!:a
create_relations | Create multiple new relations between entities in the knowledge graph. Relations should be in active voice | relations!:a
add_observations | Add new observations to existing entities in the knowledge graph | observations!:a
delete_entities | Delete multiple entities and their associated relations from the knowledge graph | entityNames!:a
delete_observations | Delete specific observations from entities in the knowledge graph | deletions!:a
delete_relations | Delete multiple relations from the knowledge graph | relations!:a
read_graph | Read the entire knowledge graph |
search_nodes | Search for nodes in the knowledge graph based on a query | query!
open_nodes | Open specific nodes in the knowledge graph by their names | names!:a
""")

B("time", "time", pd={"timezone": "IANA timezone name (e.g., 'America/New_York', 'Europe/London'). Use 'UTC' as local timezone if no timezone provided by the user."}, block=r"""
get_current_time | Get current time in a specific timezones | timezone!
convert_time | Convert time between timezones | source_timezone! time! target_timezone!
""")

B("thinking", "sequential thinking", block=r"""
sequentialthinking | A detailed tool for dynamic and reflective problem-solving through thoughts. This tool helps analyze problems through a flexible thinking process that can adapt and evolve. Each thought can build on, question, or revise previous insights as understanding deepens. | thought! nextThoughtNeeded!:b thoughtNumber!:i totalThoughts!:i isRevision:b revisesThought:i branchFromThought:i branchId needsMoreThoughts:b
""")

B("reddit", "Reddit", pd={"subreddit": "Name of the subreddit (without r/)", "post_id": "ID of the post"}, block=r"""
get_frontpage_posts | Get hot posts from the Reddit frontpage | limit:i
get_subreddit_info | Get information about a subreddit: description, subscribers, rules | subreddit!
get_subreddit_hot_posts | Get hot posts from a specific subreddit | subreddit! limit:i
get_subreddit_new_posts | Get new posts from a specific subreddit | subreddit! limit:i
get_subreddit_top_posts | Get top posts from a subreddit over a time period | subreddit! time:e(hour|day|week|month|year|all) limit:i
get_post_content | Get detailed content of a specific post, including top comments | post_id! comment_limit:i comment_depth:i
get_post_comments | Get comments from a post | post_id! limit:i
search_posts | Search Reddit posts, optionally restricted to a subreddit | query! subreddit sort time limit:i
""")

B("hackernews", "Hacker News", pd={"id": "The Hacker News item ID"}, block=r"""
get_top_stories | Get the current top stories on Hacker News | limit:i
get_new_stories | Get the newest stories on Hacker News | limit:i
get_best_stories | Get the best stories on Hacker News | limit:i
get_ask_stories | Get the latest Ask HN posts | limit:i
get_show_stories | Get the latest Show HN posts | limit:i
get_item | Get a story, comment or poll by ID, with its comment tree | id!:i depth:i
get_user | Get a Hacker News user's profile and karma | username!
search_stories | Search Hacker News stories by keyword via Algolia | query! tags sort_by_date:b
""")

B("arxiv", "arXiv", pd={"paper_id": "The arXiv paper ID, e.g. 2401.12345"}, block=r"""
search_papers | Search for papers on arXiv with advanced filtering (categories, date range) | query! max_results:i date_from date_to categories:a
download_paper | Download a paper and create a resource for it | paper_id! check_status:b
list_papers | List all existing papers available as resources |
read_paper | Read the full content of a stored paper in markdown format | paper_id!
""")

B("wikipedia", "Wikipedia", pd={"title": "Title of the Wikipedia article"}, block=r"""
search_wikipedia | Search Wikipedia for articles matching a query | query! limit:i
get_article | Get the full content of a Wikipedia article | title!
get_summary | Get a summary of a Wikipedia article | title!
get_sections | Get the sections of a Wikipedia article | title!
get_links | Get the links contained within a Wikipedia article | title!
get_related_topics | Get topics related to a Wikipedia article based on links and categories | title! limit:i
""")

B("obsidian", "Obsidian", pd={"filepath": "Path to the note, relative to the vault root"}, block=r"""
list_files_in_vault | Lists all files and directories in the root directory of your Obsidian vault. |
list_files_in_dir | Lists all files and directories that exist in a specific Obsidian directory. | dirpath!
get_file_contents | Return the content of a single file in your vault. | filepath!
search | Simple search for documents matching a specified text query across all files in the vault. Use this tool when you want to do a simple text search. | query! context_length:i
complex_search | Complex search for documents using a JsonLogic query. Supports standard JsonLogic operators plus 'glob' and 'regexp' for pattern matching. | query!:o
patch_content | Insert content into an existing note relative to a heading, block reference, or frontmatter field. | filepath! operation!:e(append|prepend|replace) target_type!:e(heading|block|frontmatter) target! content!
append_content | Append content to a new or existing file in the vault. | filepath! content!
delete_file | Delete a file or directory from the vault. | filepath! confirm!:b
get_periodic_note | Get current periodic note for the specified period. | period!:e(daily|weekly|monthly|quarterly|yearly)
get_recent_changes | Get recently modified files in the vault. | limit:i days:i
""")

B("homeassistant", "Home Assistant", pd={"entity_id": "The entity ID, e.g. light.living_room or climate.hallway"}, block=r"""
get_state | Get the current state and attributes of an entity | entity_id!
list_entities | List entities, optionally filtered by domain (light, switch, sensor, climate...) or area | domain area search
turn_on | Turn on an entity (light, switch, fan...), optionally with brightness or color | entity_id! brightness:i color_name
turn_off | Turn off an entity | entity_id!
toggle | Toggle an entity on or off | entity_id!
set_temperature | Set the target temperature of a climate entity (thermostat) | entity_id! temperature!:n hvac_mode
call_service | Call any Home Assistant service with data, e.g. media_player.play_media or lock.lock | domain! service! entity_id data:o
get_history | Get the state history of an entity over a time period | entity_id! start_time end_time
list_automations | List automations and whether they are enabled | 
trigger_automation | Trigger an automation manually | entity_id!
run_script | Run a Home Assistant script | entity_id! variables:o
get_logbook | Get logbook entries (what happened and when) for a period | start_time entity_id
""")

B("exa", "Exa", pd={"query": "Search query"}, block=r"""
web_search_exa | Search the web using Exa AI - performs real-time web searches and can scrape content from specific URLs. | query! numResults:i
company_research_exa | Research companies using Exa AI - finds comprehensive information about businesses, organizations, and corporations. | companyName! numResults:i
crawling_exa | Extract and crawl content from specific URLs using Exa AI - retrieves full text content, metadata, and structured information from web pages. | url! maxCharacters:i
linkedin_search_exa | Search LinkedIn profiles and companies using Exa AI | query! searchType:e(profiles|companies|all) numResults:i
get_code_context_exa | Search and get relevant code snippets, examples and documentation from open source libraries and GitHub repositories | query! tokensNum:i
""")

B("context7", "Context7", pd={"libraryName": "Library name to search for and retrieve a Context7-compatible library ID"}, block=r"""
resolve-library-id | Resolves a package/product name to a Context7-compatible library ID and returns a list of matching libraries. You MUST call this function before 'get-library-docs' to obtain a valid Context7-compatible library ID. | libraryName!
get-library-docs | Fetches up-to-date documentation for a library. You must call 'resolve-library-id' first to obtain the exact Context7-compatible library ID required to use this tool. | context7CompatibleLibraryID! topic tokens:i
""")
